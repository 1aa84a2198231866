/**
 * The one policy every listener and service asks, in this order: the access
 * list (a denied address is refused before anything else), the listener's
 * own connection limit, then the per-address connection limit; for every
 * request or datagram, the address's rate (and for an over-rate SNTP
 * request, whether it gets a Kiss-o'-Death). A daytime or RFC 868 datagram
 * meets the greeting rate (source-rate.ts) between the access list and the
 * address's rate. Time is the injected monotonic clock.
 */

import type { Clock } from "../clock/clock.js";
import type { CounterRegistry } from "../metrics/counters.js";
import type { AccessList } from "./access-list.js";
import {
  type Admission,
  type ConnectionVerdict,
  type DatagramKind,
  type DatagramVerdict,
  DROP_ACL,
  DROP_GREETING_RATE,
  DROP_RATE_LIMIT,
  KISS_OF_DEATH,
  type Peer,
  REFUSE,
  type RequestVerdict,
  SERVE,
} from "./admission.js";
import { ClientLimits, type ClientLimitsOptions } from "./client-limits.js";
import { SourceRate, UDP_GREETING_BURST } from "./source-rate.js";

export interface AdmissionPolicyOptions extends ClientLimitsOptions {
  access: AccessList;
  clock: Clock;
  counters?: CounterRegistry;
  /**
   * Daytime and RFC 868 datagrams per second per source (--udp-greeting-rate,
   * one table for both); undefined = no bound.
   */
  greetingRate?: number | undefined;
  /** Of those, how many at once; default the rate, at least UDP_GREETING_BURST. */
  greetingBurst?: number | undefined;
}

export class AdmissionPolicy implements Admission {
  private readonly access: AccessList;
  private readonly limits: ClientLimits;
  private readonly clock: Clock;
  private readonly perAddress: boolean;
  private readonly rated: boolean;
  private readonly greetings: SourceRate | undefined;

  constructor(options: AdmissionPolicyOptions) {
    this.access = options.access;
    this.clock = options.clock;
    this.limits = new ClientLimits(options);
    const greetingRate = options.greetingRate;
    this.greetings =
      greetingRate === undefined
        ? undefined
        : new SourceRate(
            greetingRate,
            options.greetingBurst ?? Math.max(UDP_GREETING_BURST, Math.ceil(greetingRate)),
            options.maxAddresses,
          );
    this.perAddress = options.maxConnectionsPerIp !== undefined;
    this.rated = options.rateLimit !== undefined;
    const counters = options.counters;
    if (counters !== undefined) {
      const limits = this.limits;
      counters.gaugeFunction(
        "timeserver_rate_limited_addresses",
        "Addresses whose rate state is remembered now (bounded).",
        {},
        () => limits.counters.addressesTracked,
      );
      counters.counterFunction(
        "timeserver_rate_limit_evictions_total",
        "Addresses forgotten because the per-address table was full (least recently seen first).",
        {},
        () => limits.counters.addressesEvicted,
      );
    }
  }

  /** True when anything beyond the connection limit applies to connections or their requests. */
  get active(): boolean {
    return !this.access.isEmpty || this.perAddress || this.rated;
  }

  admitConnection(peer: Peer, open: number, max: number): ConnectionVerdict {
    if (this.access.check(peer.address) === "deny") return REFUSE.acl;
    if (open >= max) return REFUSE.limit;
    if (this.perAddress && this.limits.admitConnection(peer.address) !== "ok") {
      return REFUSE["per-address-limit"];
    }
    return SERVE;
  }

  connectionEnded(peer: Peer): void {
    if (this.perAddress) this.limits.releaseConnection(peer.address);
  }

  admitRequest(peer: Peer): RequestVerdict {
    if (!this.rated) return SERVE;
    const now = this.clock.monotonic();
    if (this.limits.takeRequest(peer.address, now)) return SERVE;
    return {
      kind: "drop",
      reason: "rate-limit",
      retryInMs: this.limits.msUntilAllowed(peer.address, now),
    };
  }

  admitDatagram(peer: Peer, kind: DatagramKind): DatagramVerdict {
    if (this.access.check(peer.address) === "deny") return DROP_ACL;
    if (kind === "greeting" && this.greetings !== undefined) {
      const now = this.clock.monotonic();
      // Over the greeting rate, the address's own rate is not spent.
      if (!this.greetings.allow(peer.address, now)) return DROP_GREETING_RATE;
      return this.rated ? this.datagramRate(peer, kind, now) : SERVE;
    }
    // No rate, no clock read: an SNTP datagram without --rate-limit costs none.
    return this.rated ? this.datagramRate(peer, kind, this.clock.monotonic()) : SERVE;
  }

  /** The address's rate (--rate-limit) for a datagram. */
  private datagramRate(peer: Peer, kind: DatagramKind, now: number): DatagramVerdict {
    if (this.limits.takeRequest(peer.address, now)) return SERVE;
    // Mostly dropped; at most 1 in 4 of an address's over-rate SNTP requests
    // get a Kiss-o'-Death, so a spoofed source can be neither fully blocked
    // nor used as a reflector.
    return kind === "kissable" && this.limits.shouldSendKod(peer.address)
      ? KISS_OF_DEATH
      : DROP_RATE_LIMIT;
  }

  /** Forget addresses whose buckets are full again (housekeeping, about once a second). */
  sweep(): void {
    if (this.rated) this.limits.sweep(this.clock.monotonic());
  }
}
