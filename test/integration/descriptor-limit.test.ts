/**
 * Running out of file descriptors is visible: under a real `ulimit -n 256`,
 * a crowd of 1,000 connections is refused by the server itself (counted and
 * logged, with the remedy at start-up) rather than silently reset by the
 * kernel, and the server keeps serving.
 */

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { describe, it } from "node:test";
import { attempt } from "../helpers/line-attempt.js";
import { SERVER_BIN, ServerProcess } from "../helpers/server-process.js";
import { TIME_REPLY, WireClient } from "../helpers/wire-client.js";

describe("file-descriptor exhaustion", () => {
  it("refuses what does not fit under ulimit -n, says so, and keeps serving", async (t) => {
    const child = spawn(
      "bash",
      [
        "-c",
        `ulimit -n 256 && exec "${process.execPath}" "${SERVER_BIN}" --host 127.0.0.1 --port 0`,
      ],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    const server = new ServerProcess(child);
    t.after(() => server.kill());
    const listening = await server.waitForLine(/Listening on /);
    server.port = Number(/:(\d+)$/.exec(listening)?.[1]);
    const warning = await server.waitForLine(/file-descriptor limit \(256\)/);
    assert.match(warning, /\[WARN\] .*serving at most \d+ instead of 10000.*LimitNOFILE/);

    const results = await Promise.all(Array.from({ length: 1000 }, () => attempt(server.port)));
    const served = results.filter((r) => r.served).length;
    const refused = results.length - served;
    assert.ok(served > 100, `only ${served} served`);
    assert.ok(refused > 0, "nothing was refused under a limit of 256");
    await server.waitForLine(
      /\[WARN\] Connection limit of \d+ reached[^:]*: refused 127\.0\.0\.1:\d+/,
    );
    for (const { socket } of results) socket.destroy();
    // The crowd is gone once the server has seen every served connection close.
    await server.waitForLines(/\[INFO\] Connection closed from /, served);

    // Still serving.
    const client = await WireClient.connect(server.port);
    t.after(() => client.destroy());
    client.send("TIME\r\n");
    assert.match((await client.waitForBytes(14)).toString("latin1"), TIME_REPLY);
  });
});
