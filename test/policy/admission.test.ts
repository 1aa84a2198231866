/**
 * "Ask policy once": over real sockets, a pipelined TIME line and an SNTP
 * datagram each meet policy exactly once (a TCP connection once more, at
 * accept), and the verdict is acted on: a dropped datagram gets no reply, a
 * Kiss-o'-Death verdict gets a KoD. A counting policy records every question.
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { SILENT_LOGGER } from "../../src/logging/logger.js";
import { CounterRegistry } from "../../src/metrics/counters.js";
import { AccessList } from "../../src/policy/access-list.js";
import {
  type ConnectionVerdict,
  type DatagramKind,
  type DatagramVerdict,
  DROP_GREETING_RATE,
  DROP_RATE_LIMIT,
  KISS_OF_DEATH,
  type Peer,
  type RequestVerdict,
  SERVE,
} from "../../src/policy/admission.js";
import { AdmissionPolicy } from "../../src/policy/admission-policy.js";
import { decodeSntpPacket } from "../../src/protocols/sntp.js";
import { createTimeServer } from "../../src/server/time-server.js";
import { createRfc868Service } from "../../src/services/rfc868-service.js";
import { SntpService } from "../../src/services/sntp-service.js";
import { ManualClock } from "../helpers/manual-clock.js";
import { udpListenerFor } from "../helpers/service-listeners.js";
import { udpClientFor } from "../helpers/udp-client.js";
import { TIME_REPLY, WireClient } from "../helpers/wire-client.js";

/** `JAM hh:mm:ss\r\n` */
const REPLY_BYTES = 14;

import { datagram } from "../protocols/sntp-datagrams.js";

/** Serves everything (datagrams: the next of `datagramVerdicts`, if any) and counts each question. */
class CountingPolicy extends AdmissionPolicy {
  readonly asked = { connection: 0, request: 0, datagram: 0, kissable: 0 };
  readonly kinds: DatagramKind[] = [];
  readonly datagramVerdicts: DatagramVerdict[] = [];

  constructor(clock: ManualClock) {
    super({ access: new AccessList(), clock });
  }

  /** Active, so the listener asks it rather than the connection limit alone. */
  override get active(): boolean {
    return true;
  }

  override admitConnection(peer: Peer, open: number, max: number): ConnectionVerdict {
    this.asked.connection++;
    return super.admitConnection(peer, open, max);
  }

  override admitRequest(_peer: Peer): RequestVerdict {
    this.asked.request++;
    return SERVE;
  }

  override admitDatagram(_peer: Peer, kind: DatagramKind): DatagramVerdict {
    this.asked.datagram++;
    if (kind === "kissable") this.asked.kissable++;
    this.kinds.push(kind);
    return this.datagramVerdicts.shift() ?? SERVE;
  }
}

describe("one question to policy per request", () => {
  it("asks once per accepted connection and once per TIME line, however the lines are pipelined", async (t) => {
    const clock = new ManualClock();
    const policy = new CountingPolicy(clock);
    const server = createTimeServer({ host: "127.0.0.1", port: 0, clock, admission: policy });
    await server.listen();
    t.after(() => server.close());
    const client = await WireClient.connect(server.address()!.port);
    t.after(() => client.destroy());
    client.send("TIME\r\n".repeat(3));
    const replies = await client.waitForBytes(3 * REPLY_BYTES);
    assert.match(replies.toString("latin1", 0, REPLY_BYTES), TIME_REPLY);
    assert.deepEqual(policy.asked, { connection: 1, request: 3, datagram: 0, kissable: 0 });
  });

  it("asks once per SNTP datagram, saying whether a Kiss-o'-Death may answer it, and acts on the verdict", async (t) => {
    const clock = new ManualClock();
    const counters = new CounterRegistry();
    const policy = new CountingPolicy(clock);
    const service = new SntpService({
      stratum: 10,
      logger: SILENT_LOGGER,
      clock,
      counters,
      admission: policy,
    });
    const { port } = await udpListenerFor(t, service, clock, counters);
    const client = await udpClientFor(t);

    const served = decodeSntpPacket(await client.request(port, datagram()));
    assert.equal(served.stratum, 10);
    assert.deepEqual(policy.asked, { connection: 0, request: 0, datagram: 1, kissable: 1 });

    policy.datagramVerdicts.push(KISS_OF_DEATH);
    const kiss = decodeSntpPacket(await client.request(port, datagram()));
    assert.equal(kiss.stratum, 0, "a Kiss-o'-Death");
    assert.deepEqual(policy.asked, { connection: 0, request: 0, datagram: 2, kissable: 2 });

    // A malformed request is asked about too (a denied or over-rate one counts
    // as such), but may not be kissed.
    policy.datagramVerdicts.push(SERVE, DROP_RATE_LIMIT, SERVE);
    await client.send(port, datagram({ mode: 4 }));
    await client.send(port, datagram());
    const after = decodeSntpPacket(await client.request(port, datagram()));
    assert.equal(after.stratum, 10, "the next one is served: the two before got no reply");
    assert.deepEqual(policy.asked, { connection: 0, request: 0, datagram: 5, kissable: 4 });
    assert.equal(
      counters.total("timeserver_datagrams_dropped_total", {
        protocol: "ntp",
        reason: "rate-limit",
      }),
      1,
    );
  });

  it("asks once per RFC 868 datagram, as a greeting, and acts on the verdict: over the greeting rate, no reply", async (t) => {
    const clock = new ManualClock();
    const counters = new CounterRegistry();
    const policy = new CountingPolicy(clock);
    const service = createRfc868Service({
      logger: SILENT_LOGGER,
      clock,
      counters,
      admission: policy,
    });
    const { port } = await udpListenerFor(t, service, clock, counters);
    const client = await udpClientFor(t);

    assert.equal((await client.request(port, Buffer.alloc(0))).length, 4);
    policy.datagramVerdicts.push(DROP_GREETING_RATE);
    await client.send(port, Buffer.alloc(0));
    await client.request(port, Buffer.alloc(0));
    assert.equal(client.replies.length, 2, "the one over the greeting rate got no reply");
    assert.deepEqual(policy.kinds, ["greeting", "greeting", "greeting"]);
    assert.equal(
      counters.total("timeserver_datagrams_dropped_total", {
        protocol: "rfc868",
        reason: "rate-limit",
      }),
      1,
    );
  });
});
