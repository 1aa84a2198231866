/**
 * The native UDP backend over real loopback sockets, against the system
 * clock: every reply carries the kernel's receive stamp, which lies between
 * the client's send and the reply's transmit timestamp (written in C just
 * before sendmmsg), and increases from request to request; a burst of more
 * than a batch is answered once per request, in order; a taken port fails the
 * listen with the one-line reason. The same wire tests and fuzzing run on
 * this backend and on dgram (TIMESERVER_NO_NATIVE=1): see udp-listener.test.ts
 * and the service tests. Skipped where the module is not built.
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { SYSTEM_CLOCK } from "../../src/clock/clock.js";
import { SILENT_LOGGER } from "../../src/logging/logger.js";
import { CounterRegistry } from "../../src/metrics/counters.js";
import { readNtpTimestamp } from "../../src/protocols/ntp-timestamp.js";
import { SntpService } from "../../src/services/sntp-service.js";
import { nativeBinding, nativeMissing } from "../../src/transport/native-binding.js";
import { UdpListener } from "../../src/transport/udp-listener.js";
import { udpClientFor } from "../helpers/udp-client.js";
import { datagram } from "../protocols/sntp-datagrams.js";

const skip = nativeMissing();

async function nativeSntp(t: { after(fn: () => unknown): void }) {
  const counters = new CounterRegistry();
  const service = new SntpService({
    stratum: 10,
    logger: SILENT_LOGGER,
    clock: SYSTEM_CLOCK,
    counters,
  });
  const listener = new UdpListener({ service, host: "127.0.0.1", port: 0, counters });
  const { port } = await listener.listen();
  t.after(() => listener.close());
  return { listener, port, counters };
}

/** 8 transmit bytes that name request `i` (they come back as originate, bytes 24–31). */
function tag(i: number): number[] {
  return [0x7a, 0x61, 0x67, 0x00, (i >> 24) & 255, (i >> 16) & 255, (i >> 8) & 255, i & 255];
}

describe("native UDP backend", { skip }, () => {
  it("is the default where it is built, and dgram when asked", () => {
    const service = new SntpService({
      stratum: 10,
      logger: SILENT_LOGGER,
      clock: SYSTEM_CLOCK,
      counters: new CounterRegistry(),
    });
    assert.equal(new UdpListener({ service, host: "127.0.0.1", port: 0 }).backendName, "native");
    const dgram = new UdpListener({ service, host: "127.0.0.1", port: 0, backend: "dgram" });
    assert.equal(dgram.backendName, "dgram");
  });

  it("stamps every reply with the kernel's receive time: after the send, before the transmit, increasing", async (t) => {
    const { port } = await nativeSntp(t);
    const client = await udpClientFor(t);
    let previous = 0n;
    for (let i = 0; i < 50; i++) {
      const from = client.replies.length;
      // Date.now() floors: the send is no earlier than `sentMs`, the reply's arrival before `gotMs`.
      const sentMs = Date.now();
      await client.send(port, datagram({ transmit: tag(i) }));
      const reply = await client.waitFor((r) => r.data.readUInt32BE(28) === i, from);
      const gotMs = Date.now() + 1;
      const receive = readNtpTimestamp(reply.data, 32);
      const transmit = readNtpTimestamp(reply.data, 40);
      assert.ok(receive >= BigInt(sentMs) * 1_000_000n, `receive ${receive} before send ${sentMs}`);
      assert.ok(transmit >= receive, `transmit ${transmit} before receive ${receive}`);
      assert.ok(transmit <= BigInt(gotMs) * 1_000_000n, `transmit ${transmit} after arrival`);
      assert.ok(receive > previous, "receive stamps increase");
      previous = receive;
    }
  });

  it("answers a burst of more than two batches once per request, in order", async (t) => {
    const { port, counters } = await nativeSntp(t);
    const client = await udpClientFor(t);
    const batch = nativeBinding()?.BATCH ?? 64;
    const count = 2 * batch + 3;
    await Promise.all(
      Array.from({ length: count }, (_, i) => client.send(port, datagram({ transmit: tag(i) }))),
    );
    await client.waitFor((reply) => reply.data.readUInt32BE(28) === count - 1);
    const seen = client.replies.map((reply) => reply.data.readUInt32BE(28));
    assert.deepEqual(
      seen,
      Array.from({ length: count }, (_, i) => i),
    );
    assert.equal(
      counters.total("timeserver_requests_total", { protocol: "ntp", result: "ok" }),
      count,
    );
  });

  it("fails the listen on a taken port with the one-line reason", async (t) => {
    const { port } = await nativeSntp(t);
    const service = new SntpService({
      stratum: 10,
      logger: SILENT_LOGGER,
      clock: SYSTEM_CLOCK,
      counters: new CounterRegistry(),
    });
    const second = new UdpListener({ service, host: "127.0.0.1", port });
    await assert.rejects(second.listen(), /cannot listen on 127\.0\.0\.1:\d+ \(UDP\): .*in use/);
  });
});
