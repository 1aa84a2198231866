/**
 * An SNTPv4 server (RFC 4330; RFC 5905 server mode) over UDP: a client
 * request (mode 3, version 1–4, at least 48 bytes) gets one 48-byte reply;
 * anything else gets nothing, so the service can never amplify. The receive
 * timestamp is the kernel's when the listener has it (the native backend),
 * else read as soon as the datagram is handed over; the transmit timestamp is
 * written by the native backend just before the send, else read just before
 * the reply is made. What the header says about the clock (leap, stratum,
 * dispersion) comes from `served`, the kernel's account of the clock.
 */

import type { Clock } from "../clock/clock.js";
import { localClock, type ServedClock } from "../clock/served-clock.js";
import type { Logger } from "../logging/logger.js";
import type { Counter, CounterRegistry } from "../metrics/counters.js";
import { requestCounter } from "../metrics/server-metrics.js";
import type { NtpInstant } from "../protocols/ntp-timestamp.js";
import {
  encodeKissOfDeath,
  encodeSntpReply,
  parseSntpRequest,
  SNTP_TRANSMIT_OFFSET,
  type SntpReplyFields,
} from "../protocols/sntp.js";
import type { Peer } from "../transport/peer.js";
import type { Arrival } from "../transport/udp-backend.js";
import type { Drop, UdpService } from "../transport/udp-listener.js";

export const DEFAULT_NTP_STRATUM = 10;

/** The reference timestamp moves on in steps of this many seconds, as a local reference's updates would. */
const REFERENCE_STEP_S = 64;
const REFERENCE_STEP_NS = BigInt(REFERENCE_STEP_S) * 1_000_000_000n;

const MODE_NAMES = [
  "reserved",
  "symmetric active",
  "symmetric passive",
  "client",
  "server",
  "broadcast",
  "control",
  "private",
];

export interface SntpServiceOptions {
  stratum: number;
  logger: Logger;
  clock: Clock;
  counters: CounterRegistry;
  /**
   * What replies say about the clock, asked for every reply (keep it cheap).
   * Default: a local clock at `stratum` (chrony's `local`), whatever the host's clock does.
   */
  served?: () => ServedClock;
}

export class SntpService implements UdpService {
  readonly name = "ntp";
  readonly transmitTimestampAt = SNTP_TRANSMIT_OFFSET;
  private readonly served: () => ServedClock;
  /** Reused for every reply made from a kernel timestamp: no BigInt, no object per datagram. */
  private readonly received: NtpInstant = { sec: 0, nsec: 0 };
  private readonly referenceInstant: NtpInstant = { sec: 0, nsec: 0 };
  private readonly precision: number;
  private readonly logger: Logger;
  private readonly clock: Clock;
  private readonly answered: Counter;
  private readonly kissed: Counter;

  constructor(options: SntpServiceOptions) {
    this.logger = options.logger;
    this.clock = options.clock;
    this.precision = Math.max(-30, Math.min(-10, options.clock.precisionLog2()));
    this.answered = requestCounter(options.counters, "ntp", "udp", "ok");
    const local = localClock(options.stratum);
    this.served = options.served ?? (() => local);
    this.kissed = requestCounter(options.counters, "ntp", "udp", "kod");
  }

  /**
   * An over-rate request is mostly dropped; some (at most 1 in 4, as the
   * policy decides) get a Kiss-o'-Death RATE, so a spoofed source can be
   * neither fully blocked nor used as a reflector. Like chrony's, the KoD is
   * a normal reply with LI 3, stratum 0 and reference ID RATE.
   */
  overRate(datagram: Buffer, peer: Peer, kiss: () => boolean): Buffer | undefined {
    const request = parseSntpRequest(datagram);
    if (request.kind === "rejected" || !kiss()) return undefined;
    this.kissed.value++;
    if (this.logger.debugOn) {
      this.logger.debug(`Sent: NTP Kiss-o'-Death RATE to ${peer.address}`, {
        event: "kod",
        protocol: "ntp",
        remoteAddress: peer.address,
      });
    }
    const now = this.clock.nowNs();
    return encodeKissOfDeath(request, "RATE", this.fields(now, now));
  }

  handle(datagram: Buffer, peer: Peer, arrival?: Arrival): Buffer | Drop {
    // Without the kernel's stamp, the clock is read first of all.
    const receiveTime = arrival === undefined ? this.clock.nowNs() : 0n;
    const request = parseSntpRequest(datagram);
    if (request.kind === "rejected") {
      switch (request.reason) {
        case "short":
          return { reason: "short", detail: `${request.length} bytes, fewer than 48` };
        case "mode":
          return { reason: "mode", detail: `mode ${request.mode} (${MODE_NAMES[request.mode]})` };
        case "version":
          return { reason: "version", detail: `version ${request.version}` };
      }
    }
    this.answered.value++;
    if (this.logger.infoOn) {
      this.logger.info(`Received: NTP request from ${peer.address}`, {
        event: "received",
        protocol: "ntp",
        remoteAddress: peer.address,
        remotePort: peer.port,
      });
    }
    const reply =
      arrival === undefined
        ? encodeSntpReply(request, this.fields(receiveTime, this.clock.nowNs()))
        : encodeSntpReply(request, this.fieldsAt(arrival));
    if (this.logger.infoOn) {
      this.logger.info(`Sent: NTP reply (stratum ${reply[1]}) to ${peer.address}`, {
        event: "sent",
        protocol: "ntp",
        remoteAddress: peer.address,
        remotePort: peer.port,
      });
    }
    return reply;
  }

  private fields(receiveTime: bigint, transmitTime: bigint): SntpReplyFields {
    const served = this.served();
    return {
      leap: served.leap,
      stratum: served.stratum,
      precision: this.precision,
      rootDelay: served.rootDelay,
      rootDispersion: served.rootDispersion,
      referenceId: served.referenceId,
      referenceTime: served.hasReference ? receiveTime - (receiveTime % REFERENCE_STEP_NS) : null,
      receiveTime,
      transmitTime,
    };
  }

  /**
   * The fields for a datagram the kernel stamped: the transmit timestamp is
   * a placeholder (the receive time) that the backend overwrites just before
   * the send, at `transmitTimestampAt`.
   */
  private fieldsAt(arrival: Arrival): SntpReplyFields {
    const served = this.served();
    const { received, referenceInstant } = this;
    received.sec = arrival.sec;
    received.nsec = arrival.nsec;
    referenceInstant.sec = arrival.sec - (arrival.sec % REFERENCE_STEP_S);
    return {
      leap: served.leap,
      stratum: served.stratum,
      precision: this.precision,
      rootDelay: served.rootDelay,
      rootDispersion: served.rootDispersion,
      referenceId: served.referenceId,
      referenceTime: served.hasReference ? referenceInstant : null,
      receiveTime: received,
      transmitTime: received,
    };
  }
}
