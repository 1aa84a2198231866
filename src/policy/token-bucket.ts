/**
 * A token bucket kept as one number: the monotonic time at which the bucket
 * is full again (the "virtual scheduling" form of GCRA). A bucket that holds
 * `burst` tokens and gains `rate` per second admits a request when at least
 * one token is left; each request moves the full-again time one interval
 * (1000 / rate ms) later.
 *
 * Rules kept here:
 * - time is whatever monotonic milliseconds the caller passes; nothing here
 *   reads a clock, so a wall-clock step can neither ban nor free anyone;
 * - a time earlier than one already seen counts as no time passing (it never
 *   refills and never drains);
 * - a bucket whose full-again time has passed carries no information, so
 *   forgetting it (see slot-table.ts) changes nothing for its client;
 * - `msUntilNextToken` is a whole number of ms after which `take` succeeds.
 */

export class RateLimit {
  /** Milliseconds one token takes to come back. */
  readonly intervalMs: number;
  /** How far ahead of now the full-again time may be while a token is left. */
  readonly toleranceMs: number;

  constructor(
    /** Tokens gained per second (requests per second sustained). */
    readonly perSecond: number,
    /** Tokens a full bucket holds (requests allowed at once). */
    readonly burst: number = Math.max(1, Math.ceil(perSecond)),
  ) {
    if (!(Number.isFinite(perSecond) && perSecond > 0)) {
      throw new RangeError(`rate must be a positive number, got ${perSecond}`);
    }
    if (!(Number.isSafeInteger(burst) && burst >= 1)) {
      throw new RangeError(`burst must be a whole number of at least 1, got ${burst}`);
    }
    this.intervalMs = 1000 / perSecond;
    this.toleranceMs = (burst - 1) * this.intervalMs;
  }
}

/** Slack for floating-point sums of non-integral intervals (1000 / 3 ms ...). */
const EPSILON_MS = 1e-6;

export class TokenBucket {
  /** Monotonic ms at which the bucket is full again; -Infinity = full since forever. */
  private fullAtMs = Number.NEGATIVE_INFINITY;
  /** Latest time seen, so a clock read that goes backwards counts as standing still. */
  private latestMs = Number.NEGATIVE_INFINITY;

  constructor(readonly limit: RateLimit) {}

  /** Spend one token if there is one. */
  take(nowMs: number): boolean {
    const now = this.advance(nowMs);
    const start = Math.max(this.fullAtMs, now);
    if (start - now > this.limit.toleranceMs + EPSILON_MS) return false;
    this.fullAtMs = start + this.limit.intervalMs;
    return true;
  }

  /** Whole ms until `take` would succeed; 0 when a token is there now. */
  msUntilNextToken(nowMs: number): number {
    const now = this.advance(nowMs);
    const wait = this.fullAtMs - this.limit.toleranceMs - now;
    return wait > EPSILON_MS ? Math.ceil(wait - EPSILON_MS) : 0;
  }

  /** Tokens left now (fractional while refilling). */
  tokens(nowMs: number): number {
    const now = this.advance(nowMs);
    const debt = this.fullAtMs > now ? (this.fullAtMs - now) / this.limit.intervalMs : 0;
    return this.limit.burst - debt;
  }

  /** True when the bucket holds `burst` tokens, i.e. forgetting it loses nothing. */
  isFull(nowMs: number): boolean {
    return this.fullAtMs <= this.advance(nowMs);
  }

  private advance(nowMs: number): number {
    if (nowMs > this.latestMs) this.latestMs = nowMs;
    return this.latestMs;
  }
}

/**
 * The same bucket kept in two typed arrays at index `i` (full-again time and
 * latest time seen), for tables that must allocate nothing per client
 * (client-limits.ts). A fresh bucket is -Infinity in both.
 */
export const bucketArrays = {
  take(limit: RateLimit, fullAt: Float64Array, latest: Float64Array, i: number, nowMs: number) {
    const now = advance(latest, i, nowMs);
    const start = Math.max(fullAt[i] as number, now);
    if (start - now > limit.toleranceMs + EPSILON_MS) return false;
    fullAt[i] = start + limit.intervalMs;
    return true;
  },
  msUntilNextToken(
    limit: RateLimit,
    fullAt: Float64Array,
    latest: Float64Array,
    i: number,
    nowMs: number,
  ): number {
    const now = advance(latest, i, nowMs);
    const wait = (fullAt[i] as number) - limit.toleranceMs - now;
    return wait > EPSILON_MS ? Math.ceil(wait - EPSILON_MS) : 0;
  },
  isFull(fullAt: Float64Array, latest: Float64Array, i: number, nowMs: number): boolean {
    return (fullAt[i] as number) <= advance(latest, i, nowMs);
  },
};

function advance(latest: Float64Array, i: number, nowMs: number): number {
  if (nowMs > (latest[i] as number)) latest[i] = nowMs;
  return latest[i] as number;
}
