/**
 * The package as a user installs it elsewhere: `npm pack` makes a tarball of
 * the compiled code, the man pages, README and LICENSE only; unpacked on its
 * own with its production dependencies (from the lockfile, offline: `npm ci`
 * already put them in npm's cache) and installed globally under a temporary
 * prefix, it puts timeserver, timeclient and timebench on PATH and the man
 * pages under share/man, and the installed server answers the installed
 * client. No network but loopback: everything comes from the cache.
 */

import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { runProgram, ServerProcess } from "../helpers/server-process.js";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const PACKAGE = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as {
  name: string;
  version: string;
  bin: Record<string, string>;
  man: string[];
};

/** The npm that runs these tests when there is one (npm test), else the one on PATH. */
function npm(
  args: string[],
  cwd: string,
): { status: number | null; stdout: string; stderr: string } {
  const cli = process.env.npm_execpath;
  const [command, prefix] = cli?.endsWith(".js")
    ? [process.execPath, [cli]]
    : ["npm", [] as string[]];
  const result = spawnSync(command, [...prefix, ...args], {
    cwd,
    encoding: "utf8",
    env: { ...process.env, npm_config_update_notifier: "false", npm_config_fund: "false" },
  });
  return { status: result.status, stdout: result.stdout ?? "", stderr: result.stderr ?? "" };
}

describe("the packed tarball", { timeout: 120_000 }, () => {
  let dir = "";
  let files: string[] = [];
  let prefix = "";
  let skipped: string | undefined;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), "timeserver-pack-"));
    if (spawnSync("npm", ["--version"]).status !== 0 && !process.env.npm_execpath) {
      skipped = "npm is not available";
      return;
    }
    // --ignore-scripts: `prepare` would run the build, rewriting dist/ under the other tests.
    const packed = npm(["pack", "--ignore-scripts", "--json", "--pack-destination", dir], ROOT);
    assert.equal(packed.status, 0, packed.stderr);
    const [report] = JSON.parse(packed.stdout) as { filename: string; files: { path: string }[] }[];
    files = report!.files.map((file) => file.path);
    const tar = spawnSync("tar", ["-xzf", join(dir, report!.filename), "-C", dir]);
    assert.equal(tar.status, 0, String(tar.stderr));
    // The lockfile is not packed; it pins the dependencies to what npm ci cached.
    const unpacked = join(dir, "package");
    cpSync(join(ROOT, "package-lock.json"), join(unpacked, "package-lock.json"));
    const ci = npm(["ci", "--omit=dev", "--offline", "--ignore-scripts", "--no-audit"], unpacked);
    if (/ENOTCACHED/.test(ci.stderr)) {
      skipped = "the production dependencies are not in npm's cache (run npm ci first)";
      return;
    }
    assert.equal(ci.status, 0, ci.stderr);
    prefix = join(dir, "prefix");
    const global = npm(
      [
        "install",
        "--global",
        "--offline",
        "--ignore-scripts",
        "--no-audit",
        "--prefix",
        prefix,
        unpacked,
      ],
      dir,
    );
    assert.equal(global.status, 0, global.stderr);
  });

  after(() => rmSync(dir, { recursive: true, force: true }));

  it("holds the compiled code, the man pages, README and LICENSE, and nothing else", (t) => {
    if (skipped === "npm is not available") {
      t.skip(skipped);
      return;
    }
    const outside = files.filter(
      (path) =>
        !/^dist\/src\/.+\.(js|d\.ts|js\.map|d\.ts\.map)$/.test(path) &&
        !/^man\/[a-z]+\.1$/.test(path) &&
        !["package.json", "README.md", "LICENSE"].includes(path),
    );
    assert.deepEqual(outside, []);
    for (const target of [...Object.values(PACKAGE.bin), ...PACKAGE.man]) {
      assert.ok(files.includes(target.replace(/^\.\//, "")), `${target} is not in the tarball`);
    }
    assert.ok(
      !files.some(
        (path) =>
          path.startsWith("dist/test/") || (path.endsWith(".ts") && !path.endsWith(".d.ts")),
      ),
    );
  });

  it("installs the three commands on PATH and the man pages under share/man", async (t) => {
    if (skipped) {
      t.skip(skipped);
      return;
    }
    for (const name of Object.keys(PACKAGE.bin)) {
      const result = await runProgram(join(prefix, "bin", name), ["--version"], {
        signal: t.signal,
      });
      assert.equal(result.code, 0, result.stderr);
      assert.equal(result.stdout, `${name} ${PACKAGE.version}\n`);
    }
    for (const page of PACKAGE.man) {
      const installed = join(prefix, "share/man/man1", page.split("/").at(-1)!);
      assert.ok(existsSync(installed), `${installed} is missing`);
    }
  });

  it("the installed server answers the installed client", async (t) => {
    if (skipped) {
      t.skip(skipped);
      return;
    }
    const child = spawn(
      process.execPath,
      [join(prefix, "bin/timeserver"), "--host", "127.0.0.1", "--port", "0"],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    const server = new ServerProcess(child);
    t.after(() => server.kill());
    const line = await server.waitForLine(/Listening on 127\.0\.0\.1:\d+$/);
    const port = /:(\d+)$/.exec(line)![1]!;
    const client = await runProgram(
      join(prefix, "bin/timeclient"),
      ["--port", port, "TIME", "QUIT"],
      { signal: t.signal },
    );
    assert.equal(client.code, 0, client.stderr);
    assert.match(client.stdout, /^JAM \d\d:\d\d:\d\d\nConnection closed by server\.\n$/);
    assert.deepEqual(await server.stop(), { code: 0, signal: null });
  });
});
