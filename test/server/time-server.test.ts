/**
 * The server as a library, over real loopback sockets: what the events,
 * options and close() promise to an embedding program.
 */

import assert from "node:assert/strict";
import { once } from "node:events";
import net from "node:net";
import { describe, it } from "node:test";
import fc from "fast-check";
import { createTimeServer, type TimeServer } from "../../src/server/time-server.js";
import { ManualClock } from "../helpers/manual-clock.js";
import { INVALID, TIME_REPLY, WireClient } from "../helpers/wire-client.js";

const NOON_UTC = Date.parse("2026-11-26T12:34:56.789Z");

async function started(options: Parameters<typeof createTimeServer>[0] = {}): Promise<TimeServer> {
  const server = createTimeServer({ host: "127.0.0.1", port: 0, ...options });
  await server.listen();
  return server;
}

describe("TimeServer", () => {
  it("reports its bound address and answers with the injected clock in the given zone", async (t) => {
    const server = await started({ timeZone: "Asia/Jakarta", clock: new ManualClock(NOON_UTC) });
    t.after(() => server.close());
    const address = server.address();
    assert.ok(address !== null && address.port > 0);
    const client = await WireClient.connect(address.port);
    client.send("TIME\r\nTIME\r\n");
    assert.equal(
      (await client.waitForBytes(28)).toString("latin1"),
      "JAM 19:34:56\r\nJAM 19:34:56\r\n",
    );
    client.destroy();
  });

  it("counts requests by kind", async (t) => {
    const server = await started();
    t.after(() => server.close());
    const client = await WireClient.connect(server.address()!.port);
    client.send("TIME\r\nnope\r\nQUIT\r\n");
    await client.waitForClose();
    const requests = (result: string) =>
      server.counters.total("timeserver_requests_total", { protocol: "line", result });
    assert.equal(requests("time"), 1);
    assert.equal(requests("invalid"), 1);
    assert.equal(requests("quit"), 1);
    assert.equal(server.counters.total("timeserver_connections_accepted_total"), 1);
    assert.equal(server.counters.total("timeserver_received_bytes_total"), 18);
    assert.equal(server.counters.total("timeserver_sent_bytes_total"), 14 + INVALID.length);
  });

  it("refuses to listen twice, and says why it cannot listen", async (t) => {
    const server = await started();
    t.after(() => server.close());
    await assert.rejects(server.listen(), { code: "TS_ERR_STATE" });
    const second = createTimeServer({ host: "127.0.0.1", port: server.address()!.port });
    await assert.rejects(second.listen(), (error: Error & { code?: string }) => {
      assert.equal(error.code, "TS_ERR_LISTEN");
      assert.match(error.message, /127\.0\.0\.1:\d+: address already in use/);
      return true;
    });
  });

  it("closes connections over the limit at once and emits 'rejected'", async (t) => {
    const server = await started({ maxConnections: 1 });
    t.after(() => server.close());
    const port = server.address()!.port;
    const first = await WireClient.connect(port);
    const rejected = once(server, "rejected");
    const second = await WireClient.connect(port);
    await rejected;
    assert.equal((await second.waitForClose()).length, 0);
    first.send("TIME\r\n");
    assert.match((await first.waitForBytes(14)).toString("latin1"), TIME_REPLY);
    assert.equal(
      server.counters.total("timeserver_connections_refused_total", { reason: "limit" }),
      1,
    );
    first.destroy();
  });

  it("stops reading from a client that does not read its replies, and loses nothing", async (t) => {
    const server = await started();
    t.after(() => server.close());
    const port = server.address()!.port;
    const requests = 2_000_000;
    const reader = await WireClient.connect(port);
    reader.socket.pause();
    const paused = once(server, "backpressure");
    reader.send(Buffer.from("TIME\r\n".repeat(requests), "latin1"));
    await paused;

    // While that client is stalled, others are served at once.
    const other = await WireClient.connect(port);
    other.send("TIME\r\n");
    assert.match((await other.waitForBytes(14)).toString("latin1"), TIME_REPLY);
    other.destroy();

    // Nothing was dropped: every request is answered once the client reads.
    let bytes = 0;
    reader.socket.removeAllListeners("data");
    reader.socket.on("data", (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes === requests * 14) reader.socket.end();
    });
    reader.socket.resume();
    await once(reader.socket, "close");
    assert.equal(bytes, requests * 14);
    assert.equal(
      server.counters.total("timeserver_requests_total", { result: "time" }),
      requests + 1,
    );
  });

  it("close() answers what it has read, ends every connection and stops accepting", async () => {
    const server = await started();
    const port = server.address()!.port;
    const idle = await Promise.all([1, 2, 3].map(() => WireClient.connect(port)));
    const active = await WireClient.connect(port);
    active.send("TIME\r\nbad\r\n");
    await active.waitForBytes(14 + INVALID.length);
    await server.close();
    for (const client of [...idle, active]) await client.waitForClose();
    await assert.rejects(
      new Promise((resolve, reject) =>
        net.connect(port, "127.0.0.1").on("connect", resolve).on("error", reject),
      ),
      { code: "ECONNREFUSED" },
    );
    assert.equal(server.connections, 0);
  });

  it("close() does not wait forever for a client that never closes its side", async () => {
    const server = await started({ closeGrace: 200 });
    const stubborn = await WireClient.connect(server.address()!.port, "127.0.0.1", {
      allowHalfOpen: true,
    });
    await server.close();
    await stubborn.waitForClose();
    assert.equal(server.connections, 0);
  });

  it("close() during listen() waits for the bind and then closes it", async () => {
    const server = createTimeServer({ host: "127.0.0.1", port: 0 });
    const listening = server.listen();
    await server.close();
    const { port } = await listening;
    await assert.rejects(
      new Promise((resolve, reject) =>
        net.connect(port, "127.0.0.1").on("connect", resolve).on("error", reject),
      ),
      { code: "ECONNREFUSED" },
    );
  });

  it("answers any mix of pipelined lines in one write with the right replies, in order", async (t) => {
    const server = await started({ timeZone: "UTC", clock: new ManualClock(NOON_UTC) });
    t.after(() => server.close());
    const port = server.address()!.port;
    const line = fc.constantFrom("TIME\r\n", "TIME\r\n", "TIME\r\n", "time\r\n", "\r\n", "TIME\n");
    await fc.assert(
      fc.asyncProperty(fc.array(line, { minLength: 1, maxLength: 150 }), async (lines) => {
        const expected = lines
          .map((l) => (l === "TIME\r\n" ? "JAM 12:34:56\r\n" : INVALID))
          .join("");
        const client = await WireClient.connect(port);
        client.send(`${lines.join("")}QUIT\r\n`);
        const received = await client.waitForClose();
        client.destroy();
        assert.equal(received.toString("latin1"), expected);
      }),
      { numRuns: 60 },
    );
  });
});
