/**
 * A value made once per wall-clock second and reused by everything asked in
 * that second: a protocol's reply for "now" (formatting a zoned time costs
 * far more than answering a request). What the value is, and how it is made
 * from the second's start, is the caller's: the services combine it with
 * their protocol's encoder.
 */

export class PerSecondCache<T> {
  private second = Number.NaN;
  private value: T | undefined;

  /** `make(epochMs)` builds the value for the second starting at `epochMs`. */
  constructor(private readonly make: (epochMs: number) => T) {}

  /** The value for the second that holds `epochMs` (the same object all that second). */
  at(epochMs: number): T {
    const second = Math.floor(epochMs / 1000);
    if (second !== this.second) {
      this.value = this.make(second * 1000);
      this.second = second;
    }
    return this.value as T;
  }
}
