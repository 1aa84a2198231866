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
import * as log from "../logging/log-events.js";
import type { Logger } from "../logging/logger.js";
import type { Counter, CounterRegistry } from "../metrics/counters.js";
import { requestCounter } from "../metrics/server-metrics.js";
import { type Admission, LIMIT_ONLY, type Peer } from "../policy/admission.js";
import type { NtpInstant } from "../protocols/ntp-timestamp.js";
import {
  encodeKissOfDeath,
  encodeSntpReply,
  parseSntpRequest,
  SNTP_PACKET_LENGTH,
  SNTP_TRANSMIT_OFFSET,
  type SntpReplyFields,
  type SntpRequest,
} from "../protocols/sntp.js";
import type { Arrival } from "../transport/udp-backend.js";
import type { Drop, UdpService } from "../transport/udp-listener.js";
import type { NtpHeaders, NtsNtpService } from "./nts-ntp-service.js";

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
  /** Asked once about every datagram; default: no policy beyond serving. */
  admission?: Admission;
  /** Answers requests with NTS fields (RFC 8915); without it they are answered as plain SNTP. */
  nts?: NtsNtpService;
}

export class SntpService implements UdpService, NtpHeaders {
  readonly name = "ntp";
  private readonly served: () => ServedClock;
  /** Reused for every reply made from a kernel timestamp: no BigInt, no object per datagram. */
  private readonly received: NtpInstant = { sec: 0, nsec: 0 };
  private readonly referenceInstant: NtpInstant = { sec: 0, nsec: 0 };
  private readonly precision: number;
  private readonly logger: Logger;
  private readonly clock: Clock;
  private readonly answered: Counter;
  private readonly kissed: Counter;
  private readonly admission: Admission;
  private readonly nts: NtsNtpService | undefined;

  constructor(options: SntpServiceOptions) {
    this.logger = options.logger;
    this.clock = options.clock;
    this.precision = Math.max(-30, Math.min(-10, options.clock.precisionLog2()));
    this.answered = requestCounter(options.counters, "ntp", "udp", "ok");
    const local = localClock(options.stratum);
    this.served = options.served ?? (() => local);
    this.kissed = requestCounter(options.counters, "ntp", "udp", "kod");
    this.admission = options.admission ?? LIMIT_ONLY;
    this.nts = options.nts;
  }

  /**
   * Where a reply carries the time it was sent, for a backend that writes it
   * just before the send: a plain reply or a Kiss-o'-Death (48 bytes). Not
   * in an NTS reply, whose authenticator covers the header as made.
   */
  transmitTimestampAt(reply: Buffer): number | undefined {
    return reply.length === SNTP_PACKET_LENGTH ? SNTP_TRANSMIT_OFFSET : undefined;
  }

  /**
   * One question to policy per datagram, asked once the request is parsed
   * (so it knows whether a Kiss-o'-Death may answer it), and one action on
   * the verdict: drop, kiss, or serve a well-formed request.
   */
  handle(datagram: Buffer, peer: Peer, arrival?: Arrival): Buffer | Drop {
    // Without the kernel's stamp, the clock is read first of all.
    const receiveTime = arrival === undefined ? this.clock.nowNs() : 0n;
    const request = parseSntpRequest(datagram);
    // An NTS client ignores an unauthenticated RATE kiss (RFC 8915 §5.7): an
    // over-rate NTS request is dropped, never kissed.
    const kissable = request.kind !== "rejected" && this.nts?.isNts(datagram) !== true;
    const verdict = this.admission.admitDatagram(peer, kissable ? "kissable" : "plain");
    if (verdict.kind === "drop") return verdict;
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
    if (verdict.kind === "kiss-of-death") return this.kissOfDeath(request, peer);
    if (this.nts !== undefined && datagram.length > SNTP_PACKET_LENGTH) {
      // NTS is rare and costly beside this: a BigInt for its receive time is fine.
      const received =
        arrival === undefined
          ? receiveTime
          : BigInt(arrival.sec) * 1_000_000_000n + BigInt(arrival.nsec);
      const answer = this.nts.answer(datagram, request, received, peer, this);
      if (answer !== undefined) return answer;
    }
    this.answered.value++;
    // Checked here too: at warn, the hot path makes no call for its log lines.
    const logged = this.logger.infoOn;
    if (logged) log.ntpReceived(this.logger, peer);
    const reply =
      arrival === undefined
        ? encodeSntpReply(request, this.fields(receiveTime, this.clock.nowNs()))
        : encodeSntpReply(request, this.fieldsAt(arrival));
    if (logged) log.ntpSent(this.logger, peer, reply[1] as number);
    return reply;
  }

  /** The 48-byte reply to `request`, for the NTS service. */
  reply(request: SntpRequest, receiveTime: bigint): Buffer {
    return encodeSntpReply(request, this.fields(receiveTime, this.clock.nowNs()));
  }

  /** A Kiss-o'-Death with `code` (NTSN), for the NTS service. */
  kiss(request: SntpRequest, code: string): Buffer {
    const now = this.clock.nowNs();
    return encodeKissOfDeath(request, code, this.fields(now, now));
  }

  /**
   * Policy's answer to some over-rate requests (at most 1 in 4). Like
   * chrony's, the KoD is a normal reply with LI 3, stratum 0 and reference
   * ID RATE.
   */
  private kissOfDeath(request: SntpRequest, peer: Peer): Buffer {
    this.kissed.value++;
    log.kissOfDeathSent(this.logger, peer);
    const now = this.clock.nowNs();
    return encodeKissOfDeath(request, "RATE", this.fields(now, now));
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
