/**
 * A request rate per source address for one kind of traffic, apart from the
 * operator's --rate-limit: RFC 867 and RFC 868 over UDP answer any datagram,
 * even an empty one, with a larger one, so a spoofed source turns the server
 * into a reflector aimed at the address it names. Bounding each source's
 * replies bounds what any one victim can be sent (docs/hardening.md has the
 * bytes on the wire). Buckets live in fixed slots, as in client-limits.ts:
 * a flood of spoofed sources costs bounded memory, and a forgotten source
 * only gets a full bucket again. The admission policy holds one and asks it
 * for every daytime and RFC 868 datagram (admission-policy.ts).
 */

import { ClientLimits, DEFAULT_MAX_ADDRESSES } from "./client-limits.js";

export class SourceRate {
  /** A rate and nothing else: its buckets live in fixed slots, as --rate-limit's do. */
  private readonly limits: ClientLimits;

  constructor(perSecond: number, burst: number, maxAddresses?: number) {
    this.limits = new ClientLimits({
      rateLimit: perSecond,
      rateBurst: burst,
      maxAddresses: maxAddresses ?? DEFAULT_MAX_ADDRESSES,
    });
  }

  /** Spend one of `address`'s requests at monotonic `nowMs`; false when it is over its rate. */
  allow(address: string, nowMs: number): boolean {
    return this.limits.takeRequest(address, nowMs);
  }

  /** Sources remembered now (at most the table's capacity). */
  get tracked(): number {
    return this.limits.counters.addressesTracked;
  }
}

/** The default for daytime and RFC 868 over UDP: a client asks once; 8 a second, 16 at once. */
export const UDP_GREETING_RATE = 8;
export const UDP_GREETING_BURST = 16;
