/**
 * Per-address records in memory fixed at construction, the way chrony's
 * clientlog.c keeps them: the table is an array of buckets of up to 16 slots;
 * an address hashes to one bucket and takes a free slot there, or replaces
 * the least recently seen record of that bucket (counted as an eviction). So
 * a flood of new addresses allocates nothing: no Map entry, no record object,
 * no key string kept. The caller keeps its fields in typed arrays indexed by
 * slot (see client-limits.ts).
 *
 * Rules kept here:
 * - `size` never exceeds `capacity` (≤ the capacity asked for), whatever the
 *   number of distinct keys;
 * - an address is identified by two independent 32-bit hashes of its text
 *   (the bucket is one of them): two addresses share a record only if both
 *   collide, about once in 2^64 pairs, which at worst shares a rate bucket;
 * - IPv4-mapped IPv6 (`::ffff:192.0.2.1`) hashes as the dotted quad, so a
 *   client is one client on every socket family (ip-address.ts's addressKey);
 * - `touch` makes a key the most recently seen; eviction takes the least
 *   recently seen of the key's bucket only, and only when that bucket is full;
 * - nothing is allocated after construction.
 */

/** Slots per bucket (chrony's SLOT_SIZE). */
export const BUCKET_SLOTS = 16;

const MAPPED_PREFIX = "::ffff:";

/** Where the hashed part of `address` starts: after `::ffff:` of an IPv4-mapped address. */
function keyStart(address: string): number {
  return address.length > 7 && address.startsWith(MAPPED_PREFIX) && address.includes(".", 7)
    ? 7
    : 0;
}

function hashA(text: string, start: number): number {
  let h = 0x811c9dc5; // FNV-1a
  for (let i = start; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

function hashB(text: string, start: number): number {
  let h = 0x9e3779b9; // a multiply-xorshift mix with other constants
  for (let i = start; i < text.length; i++) {
    h = Math.imul(h ^ text.charCodeAt(i), 0x85ebca6b);
    h ^= h >>> 13;
  }
  h = Math.imul(h ^ (h >>> 16), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

export class SlotTable {
  /** Slots in all: buckets × ways, at most the capacity asked for. */
  readonly capacity: number;
  /** Slots per bucket: 16, or fewer for a table smaller than 16. */
  readonly ways: number;
  readonly buckets: number;
  private readonly keyA: Uint32Array;
  private readonly keyB: Uint32Array;
  private readonly used: Uint8Array;
  /** When each slot was last touched, in touches since construction (an order, not a time). */
  private readonly seen: Float64Array;
  private tick = 0;
  private count = 0;
  private evictionCount = 0;
  /** Whether the last `touch` claimed a fresh slot (the caller then resets its fields). */
  created = false;

  constructor(capacity: number) {
    if (!(Number.isSafeInteger(capacity) && capacity >= 1)) {
      throw new RangeError(`capacity must be a whole number of at least 1, got ${capacity}`);
    }
    this.ways = Math.min(BUCKET_SLOTS, capacity);
    this.buckets = Math.floor(capacity / this.ways);
    this.capacity = this.buckets * this.ways;
    this.keyA = new Uint32Array(this.capacity);
    this.keyB = new Uint32Array(this.capacity);
    this.used = new Uint8Array(this.capacity);
    this.seen = new Float64Array(this.capacity);
  }

  get size(): number {
    return this.count;
  }

  /** Records replaced to make room since construction. */
  get evictions(): number {
    return this.evictionCount;
  }

  /** The bucket `address` falls in (for tests and models). */
  bucketOf(address: string): number {
    return hashA(address, keyStart(address)) % this.buckets;
  }

  /**
   * The slot of `address`, now the most recently seen; claimed (a free slot
   * of its bucket, else its bucket's least recently seen) if absent, with
   * `created` set so the caller can reset the slot's fields.
   */
  touch(address: string): number {
    const start = keyStart(address);
    const a = hashA(address, start);
    const b = hashB(address, start);
    const first = (a % this.buckets) * this.ways;
    const end = first + this.ways;
    const { keyA, keyB, used, seen } = this;
    let free = -1;
    let oldest = first;
    for (let slot = first; slot < end; slot++) {
      if (used[slot] === 0) {
        if (free < 0) free = slot;
        continue;
      }
      if (keyA[slot] === a && keyB[slot] === b) {
        seen[slot] = ++this.tick;
        this.created = false;
        return slot;
      }
      if ((seen[slot] as number) < (seen[oldest] as number) || used[oldest] === 0) oldest = slot;
    }
    let slot = free;
    if (slot < 0) {
      slot = oldest;
      this.evictionCount++;
    } else {
      used[slot] = 1;
      this.count++;
    }
    keyA[slot] = a;
    keyB[slot] = b;
    seen[slot] = ++this.tick;
    this.created = true;
    return slot;
  }

  /** The slot of `address`, or -1; not counted as seeing it. */
  find(address: string): number {
    const start = keyStart(address);
    const a = hashA(address, start);
    const b = hashB(address, start);
    const first = (a % this.buckets) * this.ways;
    for (let slot = first; slot < first + this.ways; slot++) {
      if (this.used[slot] === 1 && this.keyA[slot] === a && this.keyB[slot] === b) return slot;
    }
    return -1;
  }

  /** Frees every occupied slot `isIdle` accepts; returns how many (not evictions). */
  sweep(isIdle: (slot: number) => boolean): number {
    let removed = 0;
    for (let slot = 0; slot < this.capacity; slot++) {
      if (this.used[slot] === 1 && isIdle(slot)) {
        this.used[slot] = 0;
        this.count--;
        removed++;
      }
    }
    return removed;
  }

  /** Whether `slot` holds a record. */
  occupied(slot: number): boolean {
    return this.used[slot] === 1;
  }

  /** The touch order of `slot` (larger = more recent), for tests. */
  seenAt(slot: number): number {
    return this.seen[slot] as number;
  }
}
