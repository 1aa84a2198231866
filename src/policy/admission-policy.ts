/**
 * The one policy every listener asks, in this order: the access list (a
 * denied address is refused before anything else), the listener's own
 * connection limit, then the per-address connection limit; for every request
 * or datagram, the address's rate. Time is the injected monotonic clock.
 */

import type { Clock } from "../clock/clock.js";
import type { CounterRegistry } from "../metrics/counters.js";
import type { Peer } from "../transport/peer.js";
import type { AccessList } from "./access-list.js";
import type { Admission, Refusal } from "./admission.js";
import { ClientLimits, type ClientLimitsOptions } from "./client-limits.js";

export interface AdmissionPolicyOptions extends ClientLimitsOptions {
  access: AccessList;
  clock: Clock;
  counters?: CounterRegistry;
}

export class AdmissionPolicy implements Admission {
  private readonly access: AccessList;
  private readonly limits: ClientLimits;
  private readonly clock: Clock;
  private readonly perAddress: boolean;
  private readonly rated: boolean;

  constructor(options: AdmissionPolicyOptions) {
    this.access = options.access;
    this.clock = options.clock;
    this.limits = new ClientLimits(options);
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

  /** True when anything beyond the connection limit is configured. */
  get active(): boolean {
    return !this.access.isEmpty || this.perAddress || this.rated;
  }

  admitConnection(peer: Peer, open: number, max: number): Refusal | undefined {
    if (this.access.check(peer.address) === "deny") return "acl";
    if (open >= max) return "limit";
    if (this.perAddress && this.limits.admitConnection(peer.address) !== "ok") {
      return "per-address-limit";
    }
    return undefined;
  }

  connectionEnded(peer: Peer): void {
    if (this.perAddress) this.limits.releaseConnection(peer.address);
  }

  admitDatagram(peer: Peer): Refusal | undefined {
    if (this.access.check(peer.address) === "deny") return "acl";
    if (!this.takeRequest(peer)) return "rate-limit";
    return undefined;
  }

  takeRequest(peer: Peer): boolean {
    return !this.rated || this.limits.takeRequest(peer.address, this.clock.monotonic());
  }

  msUntilAllowed(peer: Peer): number {
    return this.rated ? this.limits.msUntilAllowed(peer.address, this.clock.monotonic()) : 0;
  }

  kissOfDeath(peer: Peer): boolean {
    return this.limits.shouldSendKod(peer.address);
  }

  /** Forget addresses whose buckets are full again (housekeeping, about once a second). */
  sweep(): void {
    if (this.rated) this.limits.sweep(this.clock.monotonic());
  }
}
