/**
 * A request rate per source address for one kind of traffic, apart from the
 * operator's --rate-limit: RFC 867 and RFC 868 over UDP answer any datagram,
 * even an empty one, with a larger one, so a spoofed source turns the server
 * into a reflector aimed at the address it names. Bounding each source's
 * replies bounds what any one victim can be sent (docs/hardening.md has the
 * bytes on the wire). Buckets live in a bounded table, as in client-limits.ts:
 * a flood of spoofed sources costs bounded memory, and a forgotten source
 * only gets a full bucket again.
 */

import { AddressTable } from "./address-table.js";
import { DEFAULT_MAX_ADDRESSES } from "./client-limits.js";
import { addressKey } from "./ip-address.js";
import { RateLimit, TokenBucket } from "./token-bucket.js";

export class SourceRate {
  private readonly limit: RateLimit;
  private readonly table: AddressTable<TokenBucket>;

  constructor(perSecond: number, burst: number, maxAddresses = DEFAULT_MAX_ADDRESSES) {
    this.limit = new RateLimit(perSecond, burst);
    this.table = new AddressTable(maxAddresses, () => new TokenBucket(this.limit));
  }

  /** Spend one of `address`'s requests at monotonic `nowMs`; false when it is over its rate. */
  allow(address: string, nowMs: number): boolean {
    return this.table.touch(addressKey(address)).take(nowMs);
  }

  /** Sources remembered now (at most the table's capacity). */
  get tracked(): number {
    return this.table.size;
  }
}

/** The default for daytime and RFC 868 over UDP: a client asks once; 8 a second, 16 at once. */
export const UDP_GREETING_RATE = 8;
export const UDP_GREETING_BURST = 16;
