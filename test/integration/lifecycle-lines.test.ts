/**
 * Lifecycle lines (the server saying where it listens) are shown at every
 * level but silent: with `--port 0 --log-level warn` the log is the only place
 * the chosen port appears. Per-connection lines stay at info.
 */

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { describe, it } from "node:test";
import { SERVER_BIN, ServerProcess, startQuietServer } from "../helpers/server-process.js";
import { connectFor, TIME_REPLY, WireClient } from "../helpers/wire-client.js";

describe("lifecycle lines", { concurrency: true }, () => {
  it("--port 0 --log-level warn still says which port it listens on", {
    timeout: 15_000,
  }, async (t) => {
    const child = spawn(
      process.execPath,
      [SERVER_BIN, "--host", "127.0.0.1", "--port", "0", "--log-level", "warn"],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    const server = new ServerProcess(child);
    // Killed whether or not the line ever comes.
    t.after(() => server.kill());
    const line = await server.waitForLine(/Listening on /);
    const port = Number(/Listening on 127\.0\.0\.1:(\d+)$/.exec(line)?.[1]);
    assert.ok(port > 0, line);
    const client = await connectFor(t, port);
    assert.match(await client.askTime(), TIME_REPLY);
  });

  for (const args of [
    ["--log-level", "warn"],
    ["--log-level", "error"],
    ["--log-level", "warn", "--workers", "2"],
  ]) {
    it(`with ${args.join(" ")} logs "Listening on" with the port, and no per-connection lines`, {
      timeout: 20_000,
    }, async (t) => {
      const { server, socket } = await startQuietServer(args);
      t.after(() => server.kill());
      const client = WireClient.adopt(socket);
      assert.match(await client.askTime(), TIME_REPLY);
      client.destroy();
      if (args.includes("--workers")) {
        // The primary's line comes once every worker listens, maybe after the first answered.
        const line = await server.waitForLine(/ with 2 workers$/);
        assert.ok(line.endsWith(`Listening on 127.0.0.1:${server.port} with 2 workers`), line);
      }
      assert.deepEqual(await server.stop("SIGTERM"), { code: 0, signal: null }, server.stderr);

      const listening = server.lines.filter((line) =>
        line.includes(`Listening on 127.0.0.1:${server.port}`),
      );
      assert.ok(listening.length >= 1, `no "Listening on" line in:\n${server.lines.join("\n")}`);
      assert.ok(
        !server.lines.some((line) => /Connection from |Received: TIME/.test(line)),
        server.lines.join("\n"),
      );
    });
  }

  it("--log-level silent prints nothing at all", { timeout: 15_000 }, async (t) => {
    const { server, socket } = await startQuietServer(["--log-level", "silent"]);
    t.after(() => server.kill());
    const client = WireClient.adopt(socket);
    assert.match(await client.askTime(), TIME_REPLY);
    client.destroy();
    assert.deepEqual(await server.stop("SIGTERM"), { code: 0, signal: null }, server.stderr);
    assert.equal(server.stdout.length, 0, server.stdout.toString());
    assert.equal(server.stderr, "");
  });
});
