/**
 * The RFC 868 service over real TCP and UDP sockets with an injected clock,
 * either side of 2036-02-07T06:28:16Z, where its 32-bit seconds wrap to 0:
 * the server keeps sending the low 32 bits, and a reader with a pivot (its
 * own clock, or one years off) gets the right second back.
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { SILENT_LOGGER } from "../../src/logging/logger.js";
import { CounterRegistry } from "../../src/metrics/counters.js";
import { NTP_ERA1_UNIX_SECONDS } from "../../src/protocols/ntp-timestamp.js";
import { decodeRfc868 } from "../../src/protocols/rfc868.js";
import { createRfc868Service } from "../../src/services/rfc868-service.js";
import { ManualClock } from "../helpers/manual-clock.js";
import { tcpListenerFor, udpListenerFor } from "../helpers/service-listeners.js";
import { udpClientFor } from "../helpers/udp-client.js";
import { exchange } from "../helpers/wire-client.js";

const WRAP_MS = NTP_ERA1_UNIX_SECONDS * 1000;
const YEAR_MS = 365.25 * 24 * 3600 * 1000;

/** Instants around the wrap and the 32-bit value the wire must carry then. */
const CASES: { at: number; wire: number }[] = [
  { at: WRAP_MS - 1000, wire: 0xffff_ffff },
  { at: WRAP_MS - 1, wire: 0xffff_ffff },
  { at: WRAP_MS, wire: 0 },
  { at: WRAP_MS + 999, wire: 0 },
  { at: WRAP_MS + 1000, wire: 1 },
  { at: WRAP_MS + 86_400_000 + 500, wire: 86_400 },
];

function setUp() {
  const clock = new ManualClock();
  const counters = new CounterRegistry();
  const service = createRfc868Service({ logger: SILENT_LOGGER, clock, counters });
  return { clock, counters, service };
}

function assertDecodes(reply: Buffer, at: number): void {
  const second = Math.floor(at / 1000) * 1000;
  for (const pivot of [at, at - 20 * YEAR_MS, at + 20 * YEAR_MS]) {
    assert.equal(
      decodeRfc868(reply, pivot),
      second,
      `pivot ${new Date(pivot).toISOString()} read it back wrong`,
    );
  }
}

describe("RFC 868 service across the 2036 wrap", () => {
  it("over TCP: 4 bytes on connect, then close, with the low 32 bits of the seconds", async (t) => {
    const { clock, counters, service } = setUp();
    const { port } = await tcpListenerFor(t, service, clock, counters);
    for (const { at, wire } of CASES) {
      clock.setWall(at);
      const reply = await exchange(port, "");
      assert.equal(reply.length, 4, `at ${new Date(at).toISOString()}`);
      assert.equal(reply.readUInt32BE(0), wire, `at ${new Date(at).toISOString()}`);
      assertDecodes(reply, at);
    }
    assert.equal(
      counters.total("timeserver_requests_total", { protocol: "rfc868", transport: "tcp" }),
      CASES.length,
    );
  });

  it("over UDP: one 4-byte reply per datagram, whatever it holds, empty included", async (t) => {
    const { clock, counters, service } = setUp();
    const { port } = await udpListenerFor(t, service, clock, counters);
    const client = await udpClientFor(t);
    for (const [index, { at, wire }] of CASES.entries()) {
      clock.setWall(at);
      const request = index % 2 === 0 ? Buffer.alloc(0) : Buffer.from("any bytes at all\n");
      const reply = await client.request(port, request);
      assert.equal(reply.length, 4, `at ${new Date(at).toISOString()}`);
      assert.equal(reply.readUInt32BE(0), wire, `at ${new Date(at).toISOString()}`);
      assertDecodes(reply, at);
    }
    assert.equal(client.replies.length, CASES.length);
    assert.equal(
      counters.total("timeserver_requests_total", {
        protocol: "rfc868",
        transport: "udp",
        result: "ok",
      }),
      CASES.length,
    );
  });
});
