/**
 * Per-address records in bounded memory: at most `capacity` addresses, the
 * least recently seen one forgotten to make room for a new one (chrony's
 * clientlog does the same with its fixed slots and counts `record drops`).
 *
 * Rules kept here:
 * - `size` never exceeds `capacity`, whatever the number of distinct keys;
 * - every `touch` makes its key the most recently seen; JavaScript Maps iterate
 *   in insertion order, so delete + set moves a key to the end and the first
 *   key is always the least recently seen: O(1) per touch and per eviction;
 * - every eviction is counted;
 * - records that carry no information can be swept early (oldest first).
 *
 * What must never be forgotten (a live connection count) does not belong in
 * here; see client-limits.ts.
 */

export class AddressTable<T> {
  private readonly records = new Map<string, T>();
  /**
   * A live iterator over `records` that only eviction advances, deleting what
   * it returns, so every live key is still ahead of it and `next()` is the
   * least recently seen one. Map iterators skip deleted entries and visit
   * entries added later; keeping one alive means each deleted slot is skipped
   * once, where a fresh `keys().next()` per eviction would rescan every
   * deleted slot at the front of the table (quadratic under a flood).
   */
  private oldestFirst: IterableIterator<string> | undefined;
  private evictionCount = 0;

  constructor(
    readonly capacity: number,
    private readonly create: (key: string) => T,
  ) {
    if (!(Number.isSafeInteger(capacity) && capacity >= 1)) {
      throw new RangeError(`capacity must be a whole number of at least 1, got ${capacity}`);
    }
  }

  get size(): number {
    return this.records.size;
  }

  /** Records forgotten to make room since the table was made. */
  get evictions(): number {
    return this.evictionCount;
  }

  /** The record for `key`, made if absent, now the most recently seen. */
  touch(key: string): T {
    const records = this.records;
    let record = records.get(key);
    if (record !== undefined) {
      records.delete(key);
    } else {
      if (records.size >= this.capacity) this.evictOldest();
      record = this.create(key);
    }
    records.set(key, record);
    return record;
  }

  private evictOldest(): void {
    let next = this.oldestFirst?.next();
    if (next === undefined || next.done === true) {
      // A finished iterator stays finished; the table is full, so a new one has a key.
      this.oldestFirst = this.records.keys();
      next = this.oldestFirst.next();
    }
    this.records.delete(next.value as string);
    this.evictionCount++;
  }

  /** The record for `key` without making it recently seen. */
  peek(key: string): T | undefined {
    return this.records.get(key);
  }

  delete(key: string): boolean {
    return this.records.delete(key);
  }

  /**
   * Forget records, oldest first, while `isIdle` says they carry nothing;
   * stops at the first one that still matters, so a call costs O(removed + 1).
   * Returns how many were removed (sweeps are not evictions).
   */
  sweep(isIdle: (record: T) => boolean): number {
    let removed = 0;
    for (const [key, record] of this.records) {
      if (!isIdle(record)) break;
      this.records.delete(key);
      removed++;
    }
    return removed;
  }

  keys(): IterableIterator<string> {
    return this.records.keys();
  }
}
