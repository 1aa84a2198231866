/**
 * The UDP listener in front of the SNTP service, fuzzed over real loopback
 * sockets: any datagram of 0–1500 bytes leaves it running, gets a reply only
 * when it is a valid client request, and never a reply larger than itself;
 * the counters count exactly what was sent. No wait depends on time: each
 * batch ends with a valid "barrier" request, and once its reply is in, every
 * reply the batch earned is in too (the listener answers in order and
 * loopback keeps it), so a missing reply shows as a failed count, not a hang.
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { SILENT_LOGGER } from "../../src/logging/logger.js";
import { CounterRegistry } from "../../src/metrics/counters.js";
import { SntpService } from "../../src/services/sntp-service.js";
import { ManualClock } from "../helpers/manual-clock.js";
import { udpListenerFor } from "../helpers/service-listeners.js";
import { udpClientFor } from "../helpers/udp-client.js";
import { datagram } from "../protocols/sntp-datagrams.js";

/** Random bytes, and datagrams whose first byte and length are near a valid request's. */
const datagrams = fc.oneof(
  fc.uint8Array({ minLength: 0, maxLength: 1500 }),
  fc
    .tuple(
      fc.integer({ min: 0, max: 3 }),
      fc.integer({ min: 0, max: 7 }),
      fc.constantFrom(3, 3, 3, 0, 1, 2, 4, 5, 6, 7),
      fc.oneof(fc.integer({ min: 0, max: 64 }), fc.integer({ min: 0, max: 1500 })),
      fc.uint8Array({ minLength: 1500, maxLength: 1500 }),
    )
    .map(([leap, version, mode, length, noise]) => {
      // A copy: fast-check replays generated values while shrinking, so they must stay unmodified.
      const bytes = Uint8Array.from(noise.subarray(0, length));
      if (length > 0) bytes[0] = (leap << 6) | (version << 3) | mode;
      return bytes;
    }),
);

type Outcome = "ok" | "short" | "mode" | "version";

/** What RFC 4330 server mode makes of a datagram, written apart from the code under test. */
function expectedOutcome(bytes: Uint8Array): Outcome {
  const first = bytes[0];
  if (first === undefined) return "short";
  if ((first & 7) !== 3) return "mode";
  const version = (first >> 3) & 7;
  if (version < 1 || version > 4) return "version";
  return bytes.length < 48 ? "short" : "ok";
}

const DROPPED = "timeserver_datagrams_dropped_total";
const REASONS = ["short", "mode", "version"] as const;

describe("UdpListener with the SNTP service, fuzzed over loopback", () => {
  it("answers only valid requests, never with more bytes than they had, and counts every datagram", async (t) => {
    const clock = new ManualClock();
    const counters = new CounterRegistry();
    const service = new SntpService({ stratum: 10, logger: SILENT_LOGGER, clock, counters });
    const { port } = await udpListenerFor(t, service, clock, counters);
    const client = await udpClientFor(t);
    const read = () => ({
      ok: counters.total("timeserver_requests_total", {
        protocol: "ntp",
        transport: "udp",
        result: "ok",
      }),
      short: counters.total(DROPPED, { protocol: "ntp", reason: "short" }),
      mode: counters.total(DROPPED, { protocol: "ntp", reason: "mode" }),
      version: counters.total(DROPPED, { protocol: "ntp", reason: "version" }),
      received: counters.total("timeserver_received_bytes_total", { protocol: "ntp" }),
      sent: counters.total("timeserver_sent_bytes_total", { protocol: "ntp" }),
    });
    let batch = 0;
    let sentDatagrams = 0;

    await fc.assert(
      fc.asyncProperty(fc.array(datagrams, { minLength: 1, maxLength: 20 }), async (batchOf) => {
        batch++;
        const before = read();
        const from = client.replies.length;
        const expected = { ok: 0, short: 0, mode: 0, version: 0 };
        const answered: Uint8Array[] = [];
        let bytesIn = 0;
        for (const bytes of batchOf) {
          const outcome = expectedOutcome(bytes);
          expected[outcome]++;
          if (outcome === "ok") answered.push(bytes);
          bytesIn += bytes.length;
          await client.send(port, bytes);
        }
        // The barrier: a valid request no random datagram can share a transmit timestamp with.
        const marker = Buffer.from([0xba, 0x44, 0x1e, 0x12, 0, 0, 0, 0]);
        marker.writeUInt32BE(batch, 4);
        await client.send(port, datagram({ transmit: [...marker] }));
        sentDatagrams += batchOf.length + 1;
        const barrier = await client.waitFor(
          (reply) => reply.data.subarray(24, 32).equals(marker),
          from,
        );
        const replies = client.replies.slice(from, client.replies.indexOf(barrier));

        assert.equal(replies.length, answered.length, "replies to this batch");
        for (const [index, { data }] of replies.entries()) {
          const request = answered[index] as Uint8Array;
          assert.equal(data.length, 48);
          assert.ok(data.length <= request.length, "a reply larger than its request");
          assert.deepEqual(data.subarray(24, 32), Buffer.from(request.subarray(40, 48)));
          assert.equal(data[0]! & 7, 4, "not a server-mode reply");
        }
        const after = read();
        assert.equal(after.ok - before.ok, expected.ok + 1, "requests served");
        for (const reason of REASONS) {
          assert.equal(after[reason] - before[reason], expected[reason], `dropped as ${reason}`);
        }
        assert.equal(after.received - before.received, bytesIn + 48, "bytes received");
        assert.equal(after.sent - before.sent, 48 * (expected.ok + 1), "bytes sent");
      }),
      { numRuns: 100 },
    );
    t.diagnostic(`${sentDatagrams} datagrams in ${batch} batches`);
    // Nothing else arrived late, from any batch.
    assert.equal(client.replies.length, read().ok);
  });
});
