/**
 * The `timeserver` program as a user meets it: --help and --version, one
 * clear line and a non-zero exit for bad input or a taken port, environment
 * variables as a fallback for flags, and a graceful exit on SIGTERM/SIGINT
 * with clients still connected.
 */

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import net from "node:net";
import { describe, it } from "node:test";
import { runProgram, SERVER_BIN, startServerFor } from "../helpers/server-process.js";
import { connectFor, INVALID, REPLY_BYTES, TIME_REPLY } from "../helpers/wire-client.js";

const FLAGS = [
  "--host",
  "--port",
  "--tz",
  "--log-level",
  "--log-format",
  "--max-connections",
  "--idle-timeout",
  "--max-line",
];
const ENV_VARS = [
  "TIMESERVER_HOST",
  "TIMESERVER_PORT",
  "TIMESERVER_TZ",
  "TIMESERVER_LOG_LEVEL",
  "TIMESERVER_LOG_FORMAT",
  "TIMESERVER_MAX_CONNECTIONS",
  "TIMESERVER_IDLE_TIMEOUT",
  "TIMESERVER_MAX_LINE",
];

/** stderr is one line, in the program's own words: no stack frames, no "Error:" dump. */
function assertOneCleanLine(stderr: string): string {
  const lines = stderr.split("\n").filter((line) => line !== "");
  assert.equal(lines.length, 1, `expected one stderr line, got:\n${stderr}`);
  assert.ok(stderr.endsWith("\n"), "the line is not terminated");
  const line = lines[0] as string;
  assert.match(line, /^timeserver: /);
  assert.doesNotMatch(stderr, /^\s+at /m, "stack frames on stderr");
  assert.doesNotMatch(stderr, /\b\w*Error\b:/, "an error dump on stderr");
  return line;
}

function packageVersion(): string {
  const url = new URL("../../../package.json", import.meta.url);
  return (JSON.parse(readFileSync(url, "utf8")) as { version: string }).version;
}

describe("timeserver command line", () => {
  it("--help exits 0 and lists every flag and its environment variable", async (t) => {
    const result = await runProgram(SERVER_BIN, ["--help"], { signal: t.signal });
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stderr, "");
    for (const name of [...FLAGS, ...ENV_VARS]) {
      assert.ok(result.stdout.includes(name), `--help does not mention ${name}`);
    }
  });

  it("--version exits 0 and prints the package version", async (t) => {
    const result = await runProgram(SERVER_BIN, ["--version"], { signal: t.signal });
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, `timeserver ${packageVersion()}\n`);
  });

  describe("bad input ends in one line on stderr and a non-zero exit", () => {
    // Options that should be refused come with a loopback address and port 0,
    // so that a server that wrongly accepted them binds nothing public.
    const safe = ["--host", "127.0.0.1", "--port", "0"];
    const cases: { given: string[]; env?: NodeJS.ProcessEnv; names: string[] }[] = [
      { given: ["--port", "abc"], names: ["--port", "abc"] },
      { given: ["--port", "70000"], names: ["--port", "70000"] },
      // A value that starts with a dash is still a value: "--port takes no value" would be false.
      { given: ["--port", "-1"], names: ["--port", "-1"] },
      { given: ["--tz", "Mars/Olympus"], names: ["--tz", "Mars/Olympus"] },
      { given: ["--log-level", "loud"], names: ["--log-level", "loud"] },
      { given: ["--max-connections", "0"], names: ["--max-connections", '"0"'] },
      { given: ["--bogus"], names: ["--bogus"] },
      { given: [], env: { TIMESERVER_PORT: "x" }, names: ["TIMESERVER_PORT", '"x"'] },
    ];
    for (const { given, env, names } of cases) {
      const shown = [
        ...Object.entries(env ?? {}).map(([key, value]) => `${key}=${value}`),
        ...given,
      ].join(" ");
      const args =
        given.includes("--port") || env?.TIMESERVER_PORT
          ? ["--host", "127.0.0.1", ...given]
          : [...safe, ...given];
      it(`refuses ${shown}, naming ${names.join(" and ")}`, { timeout: 10_000 }, async (t) => {
        const result = await runProgram(SERVER_BIN, args, { env, signal: t.signal });
        const line = assertOneCleanLine(result.stderr);
        assert.doesNotMatch(line, /takes no value/, "every option here takes a value");
        for (const name of names)
          assert.ok(line.includes(name), `${JSON.stringify(line)} does not name ${name}`);
        assert.equal(result.signal, null);
        assert.notEqual(result.code, 0);
        assert.equal(result.stdout, "");
      });
    }
  });

  it("reports a port in use with its address in one line and a non-zero exit", {
    timeout: 10_000,
  }, async (t) => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
    t.after(() => blocker.close());
    const port = (blocker.address() as net.AddressInfo).port;

    const result = await runProgram(SERVER_BIN, ["--host", "127.0.0.1", "--port", String(port)], {
      signal: t.signal,
    });
    const line = assertOneCleanLine(result.stderr);
    assert.ok(line.includes(`127.0.0.1:${port}`), line);
    assert.match(line, /in use/);
    assert.notEqual(result.code, 0);
    assert.equal(result.signal, null);
  });

  describe("environment variables", () => {
    it("TIMESERVER_MAX_LINE=16 limits lines as --max-line 16 does", async (t) => {
      const server = await startServerFor(t, [], { TIMESERVER_MAX_LINE: "16" });
      const atLimit = await connectFor(t, server.port);
      assert.equal(
        (await atLimit.request(`${"A".repeat(15)}\r\n`, INVALID.length)).toString("latin1"),
        INVALID,
      );
      assert.match(await atLimit.askTime(), TIME_REPLY);

      const over = await connectFor(t, server.port);
      over.send("A".repeat(17));
      assert.equal((await over.waitForEnd()).toString("latin1"), INVALID);
    });

    it("--max-line wins over TIMESERVER_MAX_LINE", async (t) => {
      const server = await startServerFor(t, ["--max-line", "1024"], { TIMESERVER_MAX_LINE: "16" });
      const client = await connectFor(t, server.port);
      client.send("A".repeat(100));
      assert.equal((await client.request("\r\n", INVALID.length)).toString("latin1"), INVALID);
      assert.match(await client.askTime(), TIME_REPLY);
    });
  });

  describe("graceful shutdown", () => {
    for (const signal of ["SIGTERM", "SIGINT"] as const) {
      it(`on ${signal} closes every connected client and exits 0`, {
        timeout: 15_000,
      }, async (t) => {
        const server = await startServerFor(t);
        const idle = await Promise.all(
          [1, 2, 3].map(() => connectFor(t, server.port, "127.0.0.1", { allowHalfOpen: false })),
        );
        const active = await connectFor(t, server.port, "127.0.0.1", { allowHalfOpen: false });
        assert.match(await active.askTime(), TIME_REPLY);
        await server.waitForLines(/\[INFO\] Connection from /, 4);

        const exit = server.stop(signal);
        const received = await Promise.all(
          [...idle, active].map((client) => client.waitForClose()),
        );
        assert.deepEqual(
          received.map((bytes) => bytes.length),
          [0, 0, 0, REPLY_BYTES],
        );
        assert.deepEqual(await exit, { code: 0, signal: null }, server.stderr);
        assert.ok(
          server.lines.some((line) => line.includes(`Received ${signal}; shutting down`)),
          server.lines.join("\n"),
        );
        assert.equal(server.stderr, "");
      });
    }

    it("exits 0 on SIGTERM even when a client never closes its side", {
      timeout: 15_000,
    }, async (t) => {
      const server = await startServerFor(t);
      const stubborn = await connectFor(t, server.port, "127.0.0.1", { allowHalfOpen: true });
      assert.match(await stubborn.askTime(), TIME_REPLY);
      await server.waitForLine(/\[INFO\] Connection from /);

      const exit = await server.stop("SIGTERM");
      assert.deepEqual(exit, { code: 0, signal: null }, server.stderr);
      assert.equal((await stubborn.waitForEnd()).length, REPLY_BYTES);
      assert.ok(server.lines.some((line) => line.includes("shutting down")));
    });
  });
});
