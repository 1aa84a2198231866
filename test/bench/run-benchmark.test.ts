/**
 * timebench's engine against scripted servers over real sockets: every mode
 * counts good replies as good and every other line as bad, however the
 * server cuts its writes. Runs are ended by a count (-n) or a short duration;
 * nothing here asserts on a rate or a time.
 */

import assert from "node:assert/strict";
import net, { type AddressInfo } from "node:net";
import { describe, it } from "node:test";
import { runBenchmark } from "../../src/bench/run-benchmark.js";
import type { CleanupContext } from "../helpers/wire-client.js";

/**
 * A server of the line protocol that answers each `TIME\r\n` with `reply`
 * (written in two pieces cut at `cutAt`, so replies arrive split across reads)
 * and closes after `QUIT\r\n`.
 */
async function scriptedServer(t: CleanupContext, reply: string, cutAt = 5): Promise<number> {
  const bytes = Buffer.from(reply, "latin1");
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.setNoDelay(true);
    let pending = "";
    socket.on("data", (chunk: Buffer) => {
      pending += chunk.toString("latin1");
      let lf = pending.indexOf("\n");
      while (lf !== -1) {
        const line = pending.slice(0, lf + 1);
        pending = pending.slice(lf + 1);
        if (line === "QUIT\r\n") {
          socket.end();
          return;
        }
        if (line === "TIME\r\n") {
          socket.write(bytes.subarray(0, cutAt));
          socket.write(bytes.subarray(cutAt));
        }
        lf = pending.indexOf("\n");
      }
    });
    socket.on("error", () => {});
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  t.after(() => {
    for (const socket of sockets) socket.destroy();
    server.close();
  });
  return (server.address() as AddressInfo).port;
}

const quick = { host: "127.0.0.1", warmupSeconds: 0 };

describe("runBenchmark reply checking", () => {
  it("rr: counts every exact reply as good, pipelined and cut across reads", async (t) => {
    const port = await scriptedServer(t, "JAM 12:34:56\r\n");
    const result = await runBenchmark({
      ...quick,
      port,
      mode: "rr",
      connections: 3,
      pipeline: 4,
      requests: 200,
    });
    assert.ok((result.requests ?? 0) >= 200);
    assert.equal(result.badReplies, 0);
    assert.equal(result.errors, 0);
  });

  it("rr: counts a near-miss reply as bad", async (t) => {
    const port = await scriptedServer(t, "JAM 24:00:00\r\n");
    const result = await runBenchmark({
      ...quick,
      port,
      mode: "rr",
      connections: 2,
      pipeline: 2,
      requests: 50,
    });
    assert.ok((result.requests ?? 0) >= 50);
    assert.ok(result.badReplies >= 50, `badReplies ${result.badReplies}`);
  });

  it("rr: drops a connection that sends an over-long line, counting a bad reply and an error", async (t) => {
    const port = await scriptedServer(t, `${"x".repeat(2000)}\r\n`, 1000);
    const result = await runBenchmark({
      ...quick,
      port,
      mode: "rr",
      connections: 1,
      pipeline: 1,
      durationSeconds: 0.3,
    });
    assert.ok(result.badReplies >= 1, `badReplies ${result.badReplies}`);
    assert.ok(result.errors >= 1, `errors ${result.errors}`);
  });

  it("churn: a session with an exact reply is good, one with a bad reply is counted", async (t) => {
    const good = await scriptedServer(t, "JAM 00:00:00\r\n");
    const bad = await scriptedServer(t, "Invalid command\r\n", 3);
    const run = (port: number) =>
      runBenchmark({ ...quick, port, mode: "churn", connections: 2, requests: 10 });
    const fine = await run(good);
    assert.ok((fine.sessions ?? 0) >= 10);
    assert.equal(fine.badReplies, 0);
    assert.equal(fine.errors, 0);
    const wrong = await run(bad);
    assert.ok(wrong.badReplies >= 10, `badReplies ${wrong.badReplies}`);
  });

  it("hold: every held connection answers exactly once", async (t) => {
    const port = await scriptedServer(t, "JAM 23:59:59\r\n", 13);
    const result = await runBenchmark({
      ...quick,
      port,
      mode: "hold",
      connections: 5,
      holdSeconds: 0,
    });
    assert.equal(result.held, 5);
    assert.equal(result.answered, 5);
    assert.equal(result.badReplies, 0);
  });
});
