/**
 * deploy/docker/Dockerfile, checked without a Docker engine: its shape
 * (multi-stage, slim runtime, production dependencies only, not root, a
 * health check, node as the entry point), its ignore file, and a rehearsal of
 * the runtime stage: the compiled server with only the production
 * dependencies installed starts and answers TIME.
 */

import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { once } from "node:events";
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { after, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { ServerProcess } from "../helpers/server-process.js";
import { argsOf, readDockerfile } from "./dockerfile.js";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const DOCKERFILE = join(ROOT, "deploy/docker/Dockerfile");
const IGNORE = join(ROOT, "deploy/docker/Dockerfile.dockerignore");

const stages = readDockerfile(DOCKERFILE);
const build = stages[0]!;
const runtime = stages.at(-1)!;

/** `ENV A=1 B=2` instructions of a stage as one record. */
function envOf(stage: typeof runtime): Record<string, string> {
  const env: Record<string, string> = {};
  for (const args of argsOf(stage, "ENV")) {
    for (const [, key, value] of args.matchAll(/([A-Z_][A-Z0-9_]*)=(\S*)/g)) env[key!] = value!;
  }
  return env;
}

describe("deploy/docker/Dockerfile", () => {
  it("builds in one stage and runs from a slim image of a supported Node in another", () => {
    assert.ok(stages.length >= 2, "multi-stage");
    assert.equal(build.name, "build");
    const major = Number(/^node:(\d+)-slim$/.exec(runtime.base)?.[1]);
    const engines = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as {
      engines: { node: string };
    };
    const floor = Number(/^>=(\d+)$/.exec(engines.engines.node)?.[1]);
    assert.ok(major >= floor, `${runtime.base} is below engines.node ${engines.engines.node}`);
    assert.equal(build.base, runtime.base, "built and run on the same Node");
    const buildRuns = argsOf(build, "RUN").join("\n");
    assert.match(buildRuns, /npm ci\b/);
    assert.match(buildRuns, /npm run build\b/);
    assert.deepEqual(
      argsOf(runtime, "COPY").filter((args) => args.startsWith("--from=")),
      ["--from=build /app/dist/src ./dist/src"],
    );
  });

  it("installs production dependencies only in the runtime image", () => {
    const runs = argsOf(runtime, "RUN");
    assert.ok(
      runs.some((args) => /npm ci\b.*--omit=dev/.test(args)),
      runs.join("\n"),
    );
    assert.ok(!runs.some((args) => /npm run build|tsc\b/.test(args)));
    assert.equal(envOf(runtime).NODE_ENV, "production");
  });

  it("runs as a user that is not root", () => {
    const user = argsOf(runtime, "USER").at(-1);
    assert.ok(user !== undefined, "no USER");
    assert.ok(!["root", "0", "0:0", "root:root"].includes(user), `USER ${user}`);
  });

  it("checks its health and starts node on the CLI directly", () => {
    const [healthcheck] = argsOf(runtime, "HEALTHCHECK");
    assert.ok(healthcheck !== undefined, "no HEALTHCHECK");
    assert.match(healthcheck, /CMD \["node", "-e", ".*\/healthz.*"\]$/);
    assert.match(healthcheck, new RegExp(`:${envOf(runtime).TIMESERVER_METRICS_PORT}/healthz`));
    assert.deepEqual(JSON.parse(argsOf(runtime, "ENTRYPOINT").at(-1)!), [
      "node",
      "dist/src/cli/timeserver.js",
    ]);
  });

  it("exposes each protocol on the unprivileged port it configures", () => {
    const env = envOf(runtime);
    const exposed = argsOf(runtime, "EXPOSE").join(" ").split(/\s+/).sort();
    const expected = [
      `${env.TIMESERVER_PORT}/tcp`,
      `${env.TIMESERVER_DAYTIME_PORT}/tcp`,
      `${env.TIMESERVER_DAYTIME_PORT}/udp`,
      `${env.TIMESERVER_RFC868_PORT}/tcp`,
      `${env.TIMESERVER_RFC868_PORT}/udp`,
      `${env.TIMESERVER_NTP_PORT}/udp`,
      `${env.TIMESERVER_METRICS_PORT}/tcp`,
    ].sort();
    assert.deepEqual(exposed, expected);
    assert.equal(env.TIMESERVER_PORT, "45000");
    for (const port of exposed) assert.ok(Number.parseInt(port, 10) > 1023, `${port} needs root`);
  });

  it("sends the build only the files the stages copy", () => {
    const rules = readFileSync(IGNORE, "utf8")
      .split("\n")
      .map((line) => line.trim())
      .filter((line) => line !== "" && !line.startsWith("#"));
    assert.equal(rules[0], "**", "everything is excluded first");
    const allowed = rules.filter((rule) => rule.startsWith("!")).map((rule) => rule.slice(1));
    const copied = stages
      .flatMap((stage) => argsOf(stage, "COPY"))
      .filter((args) => !args.startsWith("--from="))
      .flatMap((args) => args.split(/\s+/).slice(0, -1));
    for (const source of copied) {
      assert.ok(
        allowed.includes(source) || allowed.includes(`${source}/**`),
        `${source} is copied but ignored`,
      );
      assert.ok(existsSync(join(ROOT, source)), `${source} does not exist`);
    }
  });
});

describe("the runtime stage, rehearsed without Docker", () => {
  const dir = mkdtempSync(join(tmpdir(), "timeserver-image-"));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("serves TIME with only the production dependencies installed", async () => {
    // What `npm ci --omit=dev` would install, copied from this checkout's node_modules.
    const production = execFileSync("npm", ["ls", "--omit=dev", "--all", "--parseable"], {
      cwd: ROOT,
      encoding: "utf8",
    })
      .split("\n")
      .filter((path) => path.includes("node_modules"));
    assert.ok(production.some((path) => path.endsWith("/pino")));
    assert.ok(!production.some((path) => /\/(typescript|fast-check|yaml)$/.test(path)));
    for (const path of production)
      cpSync(path, join(dir, relative(ROOT, path)), { recursive: true });
    cpSync(join(ROOT, "package.json"), join(dir, "package.json"));
    cpSync(join(ROOT, "dist/src"), join(dir, "dist/src"), { recursive: true });

    const child = spawn(
      process.execPath,
      ["dist/src/cli/timeserver.js", "--host", "127.0.0.1", "--port", "0"],
      { cwd: dir, env: { PATH: process.env.PATH, NODE_ENV: "production" }, stdio: "pipe" },
    );
    const server = new ServerProcess(child);
    try {
      const line = await server.waitForLine(/Listening on 127\.0\.0\.1:\d+/);
      const port = Number(/127\.0\.0\.1:(\d+)/.exec(line)![1]);
      const socket = net.connect(port, "127.0.0.1", () => socket.end("TIME\r\nQUIT\r\n"));
      let reply = "";
      socket.setEncoding("utf8");
      socket.on("data", (chunk: string) => {
        reply += chunk;
      });
      await once(socket, "close");
      assert.match(reply, /^JAM \d\d:\d\d:\d\d\r\n$/);
      assert.equal((await server.stop("SIGTERM")).code, 0);
    } finally {
      await server.kill();
    }
  });
});
