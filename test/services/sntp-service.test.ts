/**
 * The SNTP service behind a real UDP listener with an injected clock: replies
 * after the 2036 wrap read back right by the era rule, the client's transmit
 * timestamp comes back as originate, its version (1–4) and poll are copied,
 * the stratum is the configured one, and the reply is 48 bytes, never more
 * than the request. Every other mode, version and length gets no reply at
 * all; that is proven with a barrier (a valid request sent after them, whose
 * reply is the only one to arrive) and with the drop counters.
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { SILENT_LOGGER } from "../../src/logging/logger.js";
import { CounterRegistry } from "../../src/metrics/counters.js";
import {
  epochNs,
  NTP_ERA1_UNIX_SECONDS,
  NTP_UNIX_OFFSET_SECONDS,
  readNtpTimestamp,
} from "../../src/protocols/ntp-timestamp.js";
import { decodeSntpPacket } from "../../src/protocols/sntp.js";
import { SntpService } from "../../src/services/sntp-service.js";
import { ManualClock } from "../helpers/manual-clock.js";
import { udpListenerFor } from "../helpers/service-listeners.js";
import { type UdpClient, udpClientFor } from "../helpers/udp-client.js";
import { datagram } from "../protocols/sntp-datagrams.js";

const WRAP_MS = NTP_ERA1_UNIX_SECONDS * 1000;
const DROPPED = "timeserver_datagrams_dropped_total";
const SERVED = "timeserver_requests_total";

async function sntpServer(t: { after(fn: () => unknown): void }, stratum = 10, at = WRAP_MS) {
  const clock = new ManualClock(at);
  const counters = new CounterRegistry();
  const service = new SntpService({ stratum, logger: SILENT_LOGGER, clock, counters });
  const { port } = await udpListenerFor(t, service, clock, counters);
  const client = await udpClientFor(t);
  return { clock, counters, service, port, client };
}

/** A valid request whose transmit timestamp no other datagram of the test has. */
const BARRIER_TRANSMIT = [0xba, 0xaa, 0x44, 0x1e, 0x12, 0x00, 0x00, 0x01];

/** Send `datagrams`, then a barrier request; resolve with every reply up to the barrier's. */
async function sendThenBarrier(client: UdpClient, port: number, datagrams: Buffer[]) {
  const from = client.replies.length;
  for (const bytes of datagrams) await client.send(port, bytes);
  await client.send(port, datagram({ transmit: BARRIER_TRANSMIT }));
  const barrier = await client.waitFor(
    (reply) => reply.data.subarray(24, 32).equals(Buffer.from(BARRIER_TRANSMIT)),
    from,
  );
  return client.replies.slice(from, client.replies.indexOf(barrier));
}

describe("SNTP service", () => {
  it("either side of the 2036 wrap, timestamps carry the low 32 bits of the seconds and read back by the era rule as the server's clock", async (t) => {
    const { clock, port, client } = await sntpServer(t);
    for (const offsetMs of [-1500.25, -0.5, 0, 0.000001, 1234.567891, 86_400_000 * 365]) {
      clock.setWall(WRAP_MS + offsetMs);
      const reply = await client.request(port, datagram());
      const now = clock.nowNs();
      for (const field of [32, 40]) {
        const unixSeconds = Math.floor((WRAP_MS + offsetMs) / 1000);
        assert.equal(
          reply.readUInt32BE(field),
          (unixSeconds + NTP_UNIX_OFFSET_SECONDS) % 2 ** 32,
          `seconds of the timestamp at byte ${field}, ${offsetMs} ms from the wrap`,
        );
        // No pivot: RFC 4330's era rule alone puts it after 2036.
        const read = readNtpTimestamp(reply, field);
        const error = read > now ? read - now : now - read;
        assert.ok(error <= 1n, `${offsetMs} ms from the wrap: read ${read}, clock ${now}`);
      }
      const reference = readNtpTimestamp(reply, 16);
      assert.ok(reference <= now && reference > now - epochNs(64), "reference time not recent");
    }
  });

  it("copies the client's transmit timestamp into originate, and its version (1-4) and poll", async (t) => {
    const { port, client } = await sntpServer(t);
    for (const version of [1, 2, 3, 4]) {
      for (const poll of [-6, 0, 6, 17]) {
        const transmit = [version, poll & 0xff, 0xde, 0xad, 0xbe, 0xef, 0x01, 0x02];
        const reply = await client.request(port, datagram({ version, poll, transmit }));
        const packet = decodeSntpPacket(reply);
        assert.deepEqual([...reply.subarray(24, 32)], transmit, "originate");
        assert.equal(packet.version, version);
        assert.equal(packet.mode, 4);
        assert.equal(packet.leap, 0);
        assert.equal(packet.poll, poll);
      }
    }
  });

  it("claims the configured stratum", async (t) => {
    for (const stratum of [1, 2, 10, 15]) {
      const { port, client } = await sntpServer(t, stratum);
      const packet = decodeSntpPacket(await client.request(port, datagram()));
      assert.equal(packet.stratum, stratum);
      assert.equal(packet.referenceIdText, "LOCL");
    }
  });

  it("replies with 48 bytes to a request of 48 bytes or more (extensions, MACs): never more than it got", async (t) => {
    const { port, client, counters } = await sntpServer(t);
    const lengths = [48, 49, 52, 68, 72, 120, 1024, 1500];
    for (const length of lengths) {
      const reply = await client.request(port, datagram({ length }));
      assert.equal(reply.length, 48, `reply to ${length} bytes`);
      assert.ok(reply.length <= length);
    }
    assert.equal(
      counters.total("timeserver_sent_bytes_total", { protocol: "ntp", transport: "udp" }),
      48 * lengths.length,
    );
  });

  it("sends nothing for modes 0, 1, 2, 4, 5, 6, 7, versions 0 and 5-7, and datagrams under 48 bytes", async (t) => {
    const { port, client, counters } = await sntpServer(t);
    const modes = [0, 1, 2, 4, 5, 6, 7].map((mode) => datagram({ mode }));
    const versions = [0, 5, 6, 7].map((version) => datagram({ version }));
    const shorts = Array.from({ length: 48 }, (_, length) => datagram({ length }));
    // Control and private-mode probes as nmap sends them: 12 and 8 bytes.
    const probes = [
      datagram({ mode: 6, version: 2, length: 12 }),
      datagram({ mode: 7, length: 8 }),
    ];
    const replies = await sendThenBarrier(client, port, [
      ...modes,
      ...versions,
      ...shorts,
      ...probes,
    ]);
    assert.deepEqual(replies, [], "a reply to a datagram that must get none");
    assert.equal(counters.total(DROPPED, { protocol: "ntp", reason: "mode" }), modes.length + 2);
    assert.equal(counters.total(DROPPED, { protocol: "ntp", reason: "version" }), versions.length);
    assert.equal(counters.total(DROPPED, { protocol: "ntp", reason: "short" }), shorts.length);
    assert.equal(counters.total(SERVED, { protocol: "ntp", transport: "udp", result: "ok" }), 1);
  });
});
