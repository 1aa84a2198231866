/**
 * Many clients at once against the real `timeserver`: the original exercise's own
 * six-connection test, a thousand simultaneous connections, and proof that a
 * client that stalls mid-line or stops reading its replies neither delays the
 * others nor makes the server buffer without bound.
 */

import assert from "node:assert/strict";
import type net from "node:net";
import { describe, it } from "node:test";
import { ReplyReader } from "../../src/protocols/line/reply-reader.js";
import { repeatRequest, TIME_REQUEST_BYTES } from "../../src/protocols/line/requests.js";
import { type ServerProcess, startQuietServer, startServerFor } from "../helpers/server-process.js";
import {
  type CleanupContext,
  connectFor,
  QUIT_LINE,
  REPLY_BYTES,
  TIME_LINE,
  TIME_REPLY,
  WireClient,
} from "../helpers/wire-client.js";

/** A --log-level warn server (so a flood of requests is not a flood of log lines), killed at the end. */
async function startWarnServerFor(
  t: CleanupContext,
  args: string[] = [],
): Promise<{ server: ServerProcess; first: WireClient }> {
  const { server, socket } = await startQuietServer(["--log-level", "warn", ...args]);
  t.after(() => server.kill());
  const first = WireClient.adopt(socket);
  t.after(() => first.destroy());
  return { server, first };
}

/** `requests` TIME lines as one reusable buffer. */
function timeRequests(requests: number): Buffer {
  return repeatRequest(TIME_REQUEST_BYTES, requests);
}

async function roundTrip(client: WireClient): Promise<void> {
  const reply = await client.request(TIME_LINE, REPLY_BYTES);
  assert.match(reply.toString("latin1"), TIME_REPLY);
}

describe("timeserver under concurrent clients", () => {
  it("serves two clients with three connections each, opened at once, one reply and a close per connection", async (t) => {
    const server = await startServerFor(t);
    const groups = await Promise.all(
      [0, 1].map(() =>
        Promise.all(
          [0, 1, 2].map(() => connectFor(t, server.port, "127.0.0.1", { allowHalfOpen: false })),
        ),
      ),
    );
    const clients = groups.flat();
    const ports = clients.map((client) => client.socket.localPort);
    for (const client of clients) {
      client.send(TIME_LINE);
      client.send(QUIT_LINE);
    }
    const received = await Promise.all(clients.map((client) => client.waitForClose()));
    for (const bytes of received) assert.match(bytes.toString("latin1"), TIME_REPLY);

    const connections = await server.waitForLines(/\[INFO\] Connection from 127\.0\.0\.1:\d+$/, 6);
    assert.equal(connections.length, 6);
    const logged = connections.map((line) => Number(/:(\d+)$/.exec(line)?.[1])).sort();
    assert.deepEqual(logged, [...ports].sort());
  });

  it("holds 1000 connections open at once and answers each exactly once", {
    timeout: 30_000,
  }, async (t) => {
    const server = await startServerFor(t);
    const clients = await Promise.all(
      Array.from({ length: 1000 }, () =>
        connectFor(t, server.port, "127.0.0.1", { allowHalfOpen: false }),
      ),
    );
    await server.waitForLines(/\[INFO\] Connection from /, 1000);
    assert.equal(
      clients.filter((client) => client.ended || client.closed).length,
      0,
      "connections closed before all were open",
    );

    for (const client of clients) client.send(TIME_LINE);
    const replies = await Promise.all(clients.map((client) => client.waitForBytes(REPLY_BYTES)));
    for (const reply of replies) assert.match(reply.toString("latin1"), TIME_REPLY);

    for (const client of clients) client.send(QUIT_LINE);
    const all = await Promise.all(clients.map((client) => client.waitForClose()));
    for (const bytes of all) assert.equal(bytes.length, REPLY_BYTES);
    assert.equal(server.lines.filter((line) => /\[WARN\]|\[ERROR\]/.test(line)).length, 0);
  });

  it("keeps answering others while one client stalls mid-line and another never reads", {
    timeout: 30_000,
  }, async (t) => {
    const { server, first: stalled } = await startWarnServerFor(t);
    await stalled.sendFlushed("TI");

    const deaf = await connectFor(t, server.port);
    deaf.socket.pause();
    const flood = timeRequests(1 << 20);
    deaf.send(flood);

    const other = await connectFor(t, server.port);
    for (let i = 0; i < 100; i++) await roundTrip(other);

    assert.equal(stalled.received.length, 0, "the stalled client got an answer to half a line");
    assert.equal(stalled.ended || stalled.closed, false, "the stalled client was dropped");
    // It was waiting, not forgotten: the rest of its line is answered.
    const reply = await stalled.request("ME\r\n", REPLY_BYTES);
    assert.match(reply.toString("latin1"), TIME_REPLY);
  });

  it("stops reading from a client that does not read its replies, stays bounded and loses nothing", {
    timeout: 60_000,
  }, async (t) => {
    const { server, first: other } = await startWarnServerFor(t);
    await roundTrip(other);
    const baselineKiB = server.rssKiB();

    // 48 chunks of ~1 MiB: about 8.4 million requests, whose replies would
    // take ~117 MB if the server kept reading and buffering them.
    const chunk = timeRequests(174_762);
    const chunks = 48;
    const requests = (chunk.length / TIME_LINE.length) * chunks;
    const slowConnection = await connectFor(t, server.port);
    const slow: net.Socket = slowConnection.socket;
    slow.pause();
    slow.removeAllListeners("data");
    // Replies are checked as they stream in, not kept: the backlog can be over a hundred megabytes.
    const replies = new ReplyReader();
    let repliesSeen = 0;
    let bytesSeen = 0;
    for (let i = 0; i < chunks; i++) slow.write(chunk);
    slow.write(QUIT_LINE);

    let peakKiB = baselineKiB;
    for (let i = 0; i < 200; i++) {
      await roundTrip(other);
      peakKiB = Math.max(peakKiB, server.rssKiB());
    }
    assert.ok(
      slow.writableLength > 0,
      "the server took every request of a client that reads none of its replies",
    );
    const growthMiB = (peakKiB - baselineKiB) / 1024;
    assert.ok(
      growthMiB < 60,
      `server RSS grew by ${growthMiB.toFixed(1)} MiB while a client did not read`,
    );

    const ended = new Promise<void>((resolve) => slow.once("end", resolve));
    slow.on("data", (data: Buffer) => {
      bytesSeen += data.length;
      replies.receiveData(data);
      repliesSeen += replies.takeReplies();
    });
    slow.resume();
    await ended;
    assert.equal(replies.badReplies, 0);
    assert.equal(replies.bufferedBytes, 0);
    assert.equal(repliesSeen, requests);
    assert.equal(bytesSeen, requests * REPLY_BYTES);
  });
});
