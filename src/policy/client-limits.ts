/**
 * The per-address limits every listener asks before it serves a peer:
 * concurrent TCP connections per address, and one request-rate bucket per
 * address shared by every protocol that address speaks.
 *
 * Rules kept here:
 * - addresses are keyed as Node reports them, with IPv4-mapped IPv6 turned
 *   into the dotted quad, so a client is one client on every socket family;
 * - time is the caller's monotonic milliseconds (performance.now()), never
 *   the wall clock: stepping the system clock neither bans nor frees anyone;
 * - rate buckets live in a table of fixed slots in typed arrays
 *   (`maxAddresses`, default 65,536; slot-table.ts, as chrony's clientlog):
 *   a new address takes a free slot of its bucket of 16 or replaces the
 *   least recently seen one there, which only hands that address a full
 *   bucket again; replacing is counted, and a flood of new addresses
 *   allocates nothing;
 * - connection counts are never forgotten while a connection is open: they
 *   live in their own Map holding only addresses with open connections, so
 *   it is bounded by the server's total connection limit, not by this table;
 * - of the over-rate SNTP requests of one address, every `kodEvery`-th
 *   (default 4th) is answered with a Kiss-o'-Death and the rest dropped, so
 *   at most 1 in 4 is ever answered (deterministic: a hard bound, testable
 *   without a seed, and no random number per datagram).
 */

import { addressKey } from "./ip-address.js";
import { SlotTable } from "./slot-table.js";
import { bucketArrays, RateLimit } from "./token-bucket.js";

export const DEFAULT_MAX_ADDRESSES = 65_536;
export const DEFAULT_KOD_EVERY = 4;

export interface ClientLimitsOptions {
  /** Concurrent TCP connections per address; undefined = no per-address limit. */
  maxConnectionsPerIp?: number | undefined;
  /** Requests per second per address, sustained; undefined = no rate limit. */
  rateLimit?: number | undefined;
  /** Requests per address allowed at once; defaults to the rate (at least 1). */
  rateBurst?: number | undefined;
  /** Addresses whose rate state is remembered at once (default 65,536). */
  maxAddresses?: number | undefined;
  /** Answer every n-th over-rate SNTP request of an address with a KoD (default 4). */
  kodEvery?: number | undefined;
}

export type AdmitResult = "ok" | "per-address-limit";

export interface ClientLimitCounters {
  /** Connections refused because their address had `maxConnectionsPerIp` open. */
  connectionsRefused: number;
  /** Requests refused by the rate limit (dropped, or waited for on TCP). */
  requestsLimited: number;
  /** Over-rate SNTP requests answered with a Kiss-o'-Death. */
  kissOfDeathSent: number;
  /** Addresses forgotten because the table was full (least recently seen first). */
  addressesEvicted: number;
  /** Addresses forgotten by `sweep` because their bucket was full again. */
  addressesSwept: number;
  /** Addresses whose rate state is remembered now (at most `maxAddresses`). */
  addressesTracked: number;
  /** Addresses with at least one open connection now. */
  addressesConnected: number;
}

export class ClientLimits {
  readonly maxConnectionsPerIp: number | undefined;
  readonly rate: RateLimit | undefined;
  readonly kodEvery: number;
  private readonly slots: SlotTable | undefined;
  /** Per slot: the token bucket (full-again and latest time, ms) and the KoD count. */
  private readonly fullAt: Float64Array;
  private readonly latest: Float64Array;
  /** Over-rate requests offered to `shouldSendKod`, for the 1-in-n leak. */
  private readonly kodCandidates: Uint32Array;
  private readonly connections = new Map<string, number>();
  private connectionsRefused = 0;
  private requestsLimited = 0;
  private kissOfDeathSent = 0;
  private addressesSwept = 0;

  constructor(options: ClientLimitsOptions = {}) {
    const { maxConnectionsPerIp, rateLimit, rateBurst } = options;
    if (
      maxConnectionsPerIp !== undefined &&
      !(Number.isSafeInteger(maxConnectionsPerIp) && maxConnectionsPerIp >= 1)
    ) {
      throw new RangeError(`maxConnectionsPerIp must be a whole number of at least 1`);
    }
    this.maxConnectionsPerIp = maxConnectionsPerIp;
    this.kodEvery = options.kodEvery ?? DEFAULT_KOD_EVERY;
    if (!(Number.isSafeInteger(this.kodEvery) && this.kodEvery >= 1)) {
      throw new RangeError(`kodEvery must be a whole number of at least 1`);
    }
    if (rateLimit !== undefined) {
      this.slots = new SlotTable(options.maxAddresses ?? DEFAULT_MAX_ADDRESSES);
    }
    const slots = this.slots?.capacity ?? 0;
    this.fullAt = new Float64Array(slots);
    this.latest = new Float64Array(slots);
    this.kodCandidates = new Uint32Array(slots);
    if (rateLimit !== undefined) {
      this.rate = new RateLimit(rateLimit, rateBurst ?? Math.max(1, Math.ceil(rateLimit)));
    }
  }

  /**
   * Count a new TCP connection from `address`, or refuse it when the address
   * already has `maxConnectionsPerIp` open. Call `releaseConnection` exactly
   * once for every "ok", and never for a refusal.
   */
  admitConnection(address: string): AdmitResult {
    const max = this.maxConnectionsPerIp;
    if (max === undefined) return "ok";
    const key = addressKey(address);
    const open = this.connections.get(key) ?? 0;
    if (open >= max) {
      this.connectionsRefused++;
      return "per-address-limit";
    }
    this.connections.set(key, open + 1);
    return "ok";
  }

  /** A connection admitted by `admitConnection` has closed. */
  releaseConnection(address: string): void {
    if (this.maxConnectionsPerIp === undefined) return;
    const key = addressKey(address);
    const open = this.connections.get(key);
    if (open === undefined) return;
    if (open <= 1) this.connections.delete(key);
    else this.connections.set(key, open - 1);
  }

  /** Open connections counted for `address`. */
  connectionsOf(address: string): number {
    return this.connections.get(addressKey(address)) ?? 0;
  }

  /**
   * Spend one request of `address`'s rate at monotonic time `nowMs`: true to
   * serve it, false when the address is over its rate (UDP and SNTP drop the
   * request; the TCP line protocol pauses for `msUntilAllowed`).
   */
  takeRequest(address: string, nowMs: number): boolean {
    const { slots, rate } = this;
    if (slots === undefined || rate === undefined) return true;
    const slot = slots.touch(address);
    if (slots.created) {
      this.fullAt[slot] = Number.NEGATIVE_INFINITY;
      this.latest[slot] = Number.NEGATIVE_INFINITY;
      this.kodCandidates[slot] = 0;
    }
    if (bucketArrays.take(rate, this.fullAt, this.latest, slot, nowMs)) return true;
    this.requestsLimited++;
    return false;
  }

  /** Whole ms until `address` may make a request again; 0 when it may now. */
  msUntilAllowed(address: string, nowMs: number): number {
    const slot = this.slots?.find(address) ?? -1;
    if (slot < 0 || this.rate === undefined) return 0;
    return bucketArrays.msUntilNextToken(this.rate, this.fullAt, this.latest, slot, nowMs);
  }

  /**
   * For an SNTP request `takeRequest` refused: true when this one should get
   * a Kiss-o'-Death (RATE) instead of silence. True for the kodEvery-th,
   * 2*kodEvery-th, ... refused request of the address, so never more than
   * 1 in kodEvery of them.
   */
  shouldSendKod(address: string): boolean {
    const slot = this.slots?.find(address) ?? -1;
    if (slot < 0) return false;
    const candidates = ((this.kodCandidates[slot] as number) + 1) >>> 0;
    this.kodCandidates[slot] = candidates;
    if (candidates % this.kodEvery !== 0) return false;
    this.kissOfDeathSent++;
    return true;
  }

  /**
   * Forget addresses whose bucket is full again (call it from the
   * once-a-second housekeeping: one pass over the fixed slots). It changes
   * no decision: a full bucket is what a forgotten address gets anyway.
   * Returns how many were forgotten.
   */
  sweep(nowMs: number): number {
    const { fullAt, latest } = this;
    const removed =
      this.slots?.sweep((slot) => bucketArrays.isFull(fullAt, latest, slot, nowMs)) ?? 0;
    this.addressesSwept += removed;
    return removed;
  }

  get counters(): ClientLimitCounters {
    return {
      connectionsRefused: this.connectionsRefused,
      requestsLimited: this.requestsLimited,
      kissOfDeathSent: this.kissOfDeathSent,
      addressesEvicted: this.slots?.evictions ?? 0,
      addressesSwept: this.addressesSwept,
      addressesTracked: this.slots?.size ?? 0,
      addressesConnected: this.connections.size,
    };
  }
}
