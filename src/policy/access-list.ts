/**
 * Allow/deny by source address, asked once per connection and per datagram.
 *
 * Rules kept here (chrony's addrfilt keeps the same ones):
 * - the most specific matching rule wins (longest prefix);
 * - on a tie (the same network in both lists) deny wins;
 * - with no allow rule, whatever no rule matches is allowed; with at least one
 *   allow rule (of either family), whatever no rule matches is denied;
 * - an IPv4-mapped IPv6 peer is matched against the IPv4 rules only;
 * - a peer address that cannot be parsed is denied when any rule exists
 *   (fail closed), and allowed when there are no rules at all.
 *
 * The lookup is one Map probe per distinct prefix length in use, longest
 * first, with numbers (not bigints) for IPv4; no allocation for IPv4 peers.
 */

import type { Cidr } from "./cidr.js";
import { isIPv4Mapped, parseIPv4OrMapped, parseIPv6 } from "./ip-address.js";

export type Verdict = "allow" | "deny";

interface Level<K> {
  readonly prefix: number;
  readonly mask: K;
  readonly verdicts: Map<K, Verdict>;
}

export class AccessList {
  private readonly v4: Level<number>[];
  private readonly v6: Level<bigint>[];
  private readonly unmatched: Verdict;
  private readonly empty: boolean;

  constructor(allow: readonly Cidr[] = [], deny: readonly Cidr[] = []) {
    const v4 = new Map<number, Map<number, Verdict>>();
    const v6 = new Map<number, Map<bigint, Verdict>>();
    const add = (cidr: Cidr, verdict: Verdict) => {
      if (cidr.family === 4) record(v4, cidr.prefix, Number(cidr.network), verdict);
      else record(v6, cidr.prefix, cidr.network, verdict);
    };
    for (const cidr of allow) add(cidr, "allow");
    for (const cidr of deny) add(cidr, "deny");
    this.v4 = levels(v4, (prefix) => (prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0));
    this.v6 = levels(v6, (prefix) => ((1n << 128n) - 1n) ^ ((1n << BigInt(128 - prefix)) - 1n));
    this.unmatched = allow.length > 0 ? "deny" : "allow";
    this.empty = allow.length === 0 && deny.length === 0;
  }

  /** True when no rule was given, so every address is allowed. */
  get isEmpty(): boolean {
    return this.empty;
  }

  /** The verdict for a peer address as Node reports it (`127.0.0.1`, `::1`, `::ffff:10.0.0.1`). */
  check(address: string): Verdict {
    if (this.empty) return "allow";
    const v4 = parseIPv4OrMapped(address);
    if (v4 >= 0) {
      for (const level of this.v4) {
        const verdict = level.verdicts.get((v4 & level.mask) >>> 0);
        if (verdict !== undefined) return verdict;
      }
      return this.unmatched;
    }
    const v6 = parseIPv6(address);
    if (v6 === undefined || isIPv4Mapped(v6)) return "deny";
    for (const level of this.v6) {
      const verdict = level.verdicts.get(v6 & level.mask);
      if (verdict !== undefined) return verdict;
    }
    return this.unmatched;
  }
}

function record<K>(
  byPrefix: Map<number, Map<K, Verdict>>,
  prefix: number,
  network: K,
  verdict: Verdict,
): void {
  let verdicts = byPrefix.get(prefix);
  if (verdicts === undefined) {
    verdicts = new Map();
    byPrefix.set(prefix, verdicts);
  }
  // Deny wins a tie, whichever list named the network first.
  if (verdicts.get(network) !== "deny") verdicts.set(network, verdict);
}

function levels<K>(
  byPrefix: Map<number, Map<K, Verdict>>,
  mask: (prefix: number) => K,
): Level<K>[] {
  return [...byPrefix.entries()]
    .sort(([a], [b]) => b - a)
    .map(([prefix, verdicts]) => ({ prefix, mask: mask(prefix), verdicts }));
}
