/**
 * --rate-limit / --rate-burst over real sockets. The line protocol loses
 * nothing: an over-rate client's replies slow to the rate, all of them, in
 * order, while another address is answered at once. UDP daytime/RFC 868 drop
 * what is over the rate; SNTP drops it too but answers every 4th over-rate
 * request with a Kiss-o'-Death; TCP daytime/RFC 868 over the rate are closed
 * with no byte. Bounds only: the rate guarantees a minimum time and a
 * maximum number of replies, which no load can break.
 */

import assert from "node:assert/strict";
import { performance } from "node:perf_hooks";
import { after, before, describe, it } from "node:test";
import { Cleanups, type ListenerPorts, portOf, startListeners } from "../helpers/listener-ports.js";
import type { ServerProcess } from "../helpers/server-process.js";
import {
  bytesBeforeClose,
  connectFrom,
  drainPoll,
  udpClientFrom,
  udpPortOf,
} from "../helpers/source-clients.js";
import { TIME_REPLY, TIME_REPLY_GLOBAL } from "../helpers/wire-client.js";

const RATE = 10;
const BURST = 5;
const REPLY_BYTES = "JAM hh:mm:ss\r\n".length;

/** Seconds since midnight of each JAM reply in `text`, in order. */
function replySeconds(text: string): number[] {
  return [...text.matchAll(TIME_REPLY_GLOBAL)].map((match) => {
    const [h, m, s] = match[0].slice(4, 12).split(":").map(Number);
    return h! * 3600 + m! * 60 + s!;
  });
}

/** A 48-byte SNTPv4 client request whose transmit timestamp ends in `tag`. */
function sntpRequest(tag: number): Buffer {
  const request = Buffer.alloc(48);
  request[0] = 0x23; // LI 0, VN 4, mode 3
  request.writeUInt32BE(0xe98a3b40, 40);
  request.writeUInt32BE(tag, 44);
  return request;
}

const isKissOfDeath = (reply: Buffer): boolean =>
  reply[1] === 0 && reply.subarray(12, 16).toString("latin1") === "RATE";

function escaped(text: string): string {
  return text.replace(/[.[\]]/g, "\\$&");
}

describe(`--rate-limit ${RATE} --rate-burst ${BURST}`, () => {
  const cleanups = new Cleanups();
  let server: ServerProcess;
  let ports: ListenerPorts;
  after(() => cleanups.run());
  before(async () => {
    ({ server, ports } = await startListeners(cleanups, [
      "--rate-limit",
      String(RATE),
      "--rate-burst",
      String(BURST),
      "--rfc868-port",
      "0",
      "--ntp-port",
      "0",
    ]));
  });

  it("line protocol: 30 pipelined TIME get 30 replies in order, slowed to the rate; another address is answered at once", async (t) => {
    const slow = await connectFrom(t, server.port, "127.0.0.20");
    const started = performance.now();
    slow.send("TIME\r\n".repeat(30));
    // The burst comes back at once; the rest waits for tokens.
    await slow.waitForBytes(BURST * REPLY_BYTES);

    const other = await connectFrom(t, server.port, "127.0.0.21");
    const reply = await other.request("TIME\r\n", REPLY_BYTES);
    assert.match(reply.toString("latin1"), TIME_REPLY);
    const slowRepliesThen = Math.floor(slow.received.length / REPLY_BYTES);
    assert.ok(
      slowRepliesThen < 30,
      `the other address was answered before the slowed client's last reply (it had ${slowRepliesThen})`,
    );

    const all = (await slow.waitForBytes(30 * REPLY_BYTES)).toString("latin1");
    const elapsed = performance.now() - started;
    assert.equal(all.length, 30 * REPLY_BYTES, "nothing more than the 30 replies");
    const seconds = replySeconds(all);
    assert.equal(seconds.length, 30, "30 well-formed replies");
    // In order: stamps never go back (except across midnight).
    for (let i = 1; i < seconds.length; i++) {
      const step = seconds[i]! - seconds[i - 1]!;
      assert.ok(step >= 0 || step < -86000, `reply ${i} is not earlier than reply ${i - 1}`);
    }
    // 25 requests beyond the burst need 25 tokens at 10/s: at least 2.5 s
    // (asserted with slack for the timer's millisecond rounding).
    assert.ok(elapsed >= 2400, `took ${Math.round(elapsed)} ms, at least 2.5 s is forced`);

    // The connection was paused, not dropped: it still reads and obeys QUIT.
    slow.send("QUIT\r\n");
    await server.waitForLine(/Received: QUIT from 127\.0\.0\.20$/);
    assert.equal((await slow.waitForClose()).length, 30 * REPLY_BYTES);
  });

  it("RFC 868 over UDP: a flood gets at most burst + rate × elapsed replies; the drops are logged", async (t) => {
    const port = portOf(ports, "rfc868Udp");
    const flood = await udpClientFrom(t, "127.0.0.22");
    const marker = await udpClientFrom(t, "127.0.0.23");
    const started = performance.now();
    for (let i = 0; i < 40; i++) await flood.send(port, Buffer.alloc(0));
    // A neighbour's datagram sent after the flood is handled after all of it.
    await marker.request(port, Buffer.alloc(0));
    await flood.waitFor(() => flood.replies.length >= BURST);
    await drainPoll();
    const elapsed = (performance.now() - started) / 1000;
    const replies = flood.replies.length;
    assert.ok(
      replies <= BURST + RATE * elapsed,
      `${replies} replies in ${elapsed.toFixed(3)} s, at most ${BURST} + ${RATE}/s`,
    );
    assert.ok(replies < 40, "some were dropped");
    for (const reply of flood.replies) assert.equal(reply.data.length, 4);
    await server.waitForLine(
      new RegExp(
        `No reply to a rfc868 datagram from ${escaped("127.0.0.22")}:${udpPortOf(flood)}: rate-limit`,
      ),
    );
  });

  it("SNTP: over the rate, requests are dropped but every 4th gets a Kiss-o'-Death RATE echoing its transmit timestamp", async (t) => {
    const port = portOf(ports, "ntp");
    const client = await udpClientFrom(t, "127.0.0.24");
    const marker = await udpClientFrom(t, "127.0.0.25");
    const sent = new Map<string, number>();
    const requests = 40;
    const started = performance.now();
    for (let tag = 1; tag <= requests; tag++) {
      const request = sntpRequest(tag);
      sent.set(request.subarray(40, 48).toString("hex"), tag);
      await client.send(port, request);
    }
    await marker.request(port, sntpRequest(0xffff));
    await client.waitFor((reply) => isKissOfDeath(reply.data));
    await drainPoll();
    const elapsed = (performance.now() - started) / 1000;

    const replies = client.replies.map((reply) => reply.data);
    const kods = replies.filter(isKissOfDeath);
    const normal = replies.filter((reply) => !isKissOfDeath(reply));
    for (const reply of replies) {
      assert.equal(reply.length, 48);
      assert.equal(reply[0]! & 0x07, 4, "server mode");
      // Originate timestamp (bytes 24-31) = the request's transmit timestamp.
      assert.ok(sent.has(reply.subarray(24, 32).toString("hex")), "originate echoes a request");
    }
    for (const kod of kods) {
      assert.equal(kod[0]! >> 6, 3, "LI 3 (alarm)");
      assert.equal(kod[1], 0, "stratum 0");
      assert.equal(kod.subarray(12, 16).toString("latin1"), "RATE");
    }
    assert.ok(normal.length <= BURST + RATE * elapsed, `${normal.length} normal replies`);
    const overRate = requests - normal.length;
    assert.ok(kods.length >= 1);
    assert.ok(
      kods.length * 4 <= overRate,
      `${kods.length} KoDs for ${overRate} over-rate requests: at most 1 in 4`,
    );
    // Each over-rate request answered at most once, and never one already answered normally.
    const answered = replies.map((reply) => reply.subarray(24, 32).toString("hex"));
    assert.equal(new Set(answered).size, answered.length);
  });

  it("TCP daytime/RFC 868 share the address's bucket: over the rate the connection is closed with no byte", async (t) => {
    // Its own server, at one token per 10 s, so no refill can happen during the test.
    const slowRate = await startListeners(t, [
      "--rate-limit",
      "0.1",
      "--rate-burst",
      "2",
      "--daytime-port",
      "0",
      "--rfc868-port",
      "0",
    ]);
    const daytime = portOf(slowRate.ports, "daytime");
    const rfc868 = portOf(slowRate.ports, "rfc868");
    const first = await connectFrom(t, daytime, "127.0.0.26");
    assert.ok((await first.waitForClose()).length > 0, "1st request: a daytime line");
    const line = await connectFrom(t, slowRate.server.port, "127.0.0.26");
    assert.match((await line.request("TIME\r\n", REPLY_BYTES)).toString("latin1"), TIME_REPLY);
    // The burst of 2 is spent, across two protocols.
    const refused = await connectFrom(t, rfc868, "127.0.0.26");
    assert.equal(await bytesBeforeClose(refused), 0);
    const refusedDaytime = await connectFrom(t, daytime, "127.0.0.26");
    assert.equal(await bytesBeforeClose(refusedDaytime), 0);
    // Another address has its own bucket.
    const other = await connectFrom(t, rfc868, "127.0.0.27");
    assert.equal((await other.waitForClose()).length, 4);
  });
});
