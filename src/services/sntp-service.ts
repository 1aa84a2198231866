/**
 * An SNTPv4 server (RFC 4330; RFC 5905 server mode) over UDP: a client
 * request (mode 3, version 1–4, at least 48 bytes) gets one 48-byte reply;
 * anything else gets nothing, so the service can never amplify. The receive
 * timestamp is read as soon as the datagram is handed over, the transmit
 * timestamp just before the reply is made.
 */

import type { Clock } from "../clock/clock.js";
import type { Logger } from "../logging/logger.js";
import type { Counter, CounterRegistry } from "../metrics/counters.js";
import { requestCounter } from "../metrics/server-metrics.js";
import {
  encodeKissOfDeath,
  encodeSntpReply,
  parseSntpRequest,
  type SntpRequest,
} from "../protocols/sntp.js";
import type { Peer } from "../transport/peer.js";
import type { Drop, UdpService } from "../transport/udp-listener.js";
import type { NtpHeaders, NtsNtpService } from "./nts-ntp-service.js";

export const DEFAULT_NTP_STRATUM = 10;

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
  private readonly nts: NtsNtpService | undefined;

  constructor(options: SntpServiceOptions) {
    this.nts = options.nts;
    this.stratum = options.stratum;
    this.logger = options.logger;
    this.clock = options.clock;
    this.precision = Math.max(-30, Math.min(-10, options.clock.precisionLog2()));
    this.served = requestCounter(options.counters, "ntp", "udp", "ok");
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
    if (request.kind === "rejected") return undefined;
    // An NTS client ignores an unauthenticated RATE kiss (RFC 8915 §5.7): drop.
    if (this.nts?.isNts(datagram) === true || !kiss()) return undefined;
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

  handle(datagram: Buffer, peer: Peer): Buffer | Drop {
    const receiveTime = this.clock.nowNs();
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
    if (this.nts !== undefined && datagram.length > 48) {
      const answer = this.nts.answer(datagram, request, receiveTime, peer, this);
      if (answer !== undefined) return answer;
    }
    this.served.value++;
    if (this.logger.infoOn) {
      this.logger.info(`Received: NTP request from ${peer.address}`, {
        event: "received",
        protocol: "ntp",
        remoteAddress: peer.address,
        remotePort: peer.port,
      });
    }
    const reply = encodeSntpReply(request, this.fields(receiveTime, this.clock.nowNs()));
    if (this.logger.infoOn) {
      this.logger.info(`Sent: NTP reply (stratum ${this.stratum}) to ${peer.address}`, {
        event: "sent",
        protocol: "ntp",
        remoteAddress: peer.address,
        remotePort: peer.port,
      });
    }
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
