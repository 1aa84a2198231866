/**
 * An SNTPv4 server (RFC 4330; RFC 5905 server mode) over UDP: a client
 * request (mode 3, version 1–4, at least 48 bytes) gets one 48-byte reply;
 * anything else gets nothing, so the service can never amplify. The receive
 * timestamp is read as soon as the datagram is handed over, the transmit
 * timestamp just before the reply is made.
 */

import type { Clock } from "../clock/clock.js";
import * as log from "../logging/log-events.js";
import type { Logger } from "../logging/logger.js";
import type { Counter, CounterRegistry } from "../metrics/counters.js";
import { requestCounter } from "../metrics/server-metrics.js";
import { type Admission, LIMIT_ONLY, type Peer } from "../policy/admission.js";
import {
  encodeKissOfDeath,
  encodeSntpReply,
  parseSntpRequest,
  type SntpRequest,
} from "../protocols/sntp.js";
import type { Drop, UdpService } from "../transport/udp-listener.js";
import type { NtpHeaders, NtsNtpService } from "./nts-ntp-service.js";

/**
 * What the server claims about its clock. It reads the local system clock
 * and has no reference of its own, as chrony's `local` mode: no root delay,
 * and a root dispersion of a millisecond, a generous bound on how far a
 * reading can be from the system clock (measured: a few microseconds).
 */
const ROOT_DELAY_S = 0;
const ROOT_DISPERSION_S = 0.001;
const REFERENCE_ID = "LOCL";
/** The reference timestamp moves on in steps of this many seconds, as a local reference's updates would. */
const REFERENCE_STEP_NS = 64_000_000_000n;

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
  /** Asked once about every datagram; default: no policy beyond serving. */
  admission?: Admission;
  /** Answers requests with NTS fields (RFC 8915); without it they are answered as plain SNTP. */
  nts?: NtsNtpService;
}

export class SntpService implements UdpService, NtpHeaders {
  readonly name = "ntp";
  private readonly stratum: number;
  private readonly precision: number;
  private readonly logger: Logger;
  private readonly clock: Clock;
  private readonly served: Counter;
  private readonly kissed: Counter;
  private readonly admission: Admission;
  private readonly nts: NtsNtpService | undefined;

  constructor(options: SntpServiceOptions) {
    this.nts = options.nts;
    this.stratum = options.stratum;
    this.logger = options.logger;
    this.clock = options.clock;
    this.precision = Math.max(-30, Math.min(-10, options.clock.precisionLog2()));
    this.served = requestCounter(options.counters, "ntp", "udp", "ok");
    this.kissed = requestCounter(options.counters, "ntp", "udp", "kod");
    this.admission = options.admission ?? LIMIT_ONLY;
  }

  /**
   * One question to policy per datagram, asked once the request is parsed
   * (so it knows whether a Kiss-o'-Death may answer it), and one action on
   * the verdict: drop, kiss, or serve a well-formed request.
   */
  handle(datagram: Buffer, peer: Peer): Buffer | Drop {
    const receiveTime = this.clock.nowNs();
    const request = parseSntpRequest(datagram);
    // An NTS client ignores an unauthenticated RATE kiss (RFC 8915 §5.7): an
    // over-rate NTS request is dropped, never kissed.
    const kissable = request.kind !== "rejected" && this.nts?.isNts(datagram) !== true;
    const verdict = this.admission.admitDatagram(peer, kissable);
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
    if (this.nts !== undefined && datagram.length > 48) {
      const answer = this.nts.answer(datagram, request, receiveTime, peer, this);
      if (answer !== undefined) return answer;
    }
    this.served.value++;
    // Checked here too: at warn, the hot path makes no call for its log lines.
    const logged = this.logger.infoOn;
    if (logged) log.ntpReceived(this.logger, peer);
    const reply = encodeSntpReply(request, this.fields(receiveTime, this.clock.nowNs()));
    if (logged) log.ntpSent(this.logger, peer, this.stratum);
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

  private fields(receiveTime: bigint, transmitTime: bigint) {
    return {
      stratum: this.stratum,
      precision: this.precision,
      rootDelay: ROOT_DELAY_S,
      rootDispersion: ROOT_DISPERSION_S,
      referenceId: REFERENCE_ID,
      referenceTime: receiveTime - (receiveTime % REFERENCE_STEP_NS),
      receiveTime,
      transmitTime,
    };
  }
}
