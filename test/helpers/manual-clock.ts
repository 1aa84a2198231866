/**
 * A Clock that moves only when a test says so: `advance(ms)` fires every
 * timer that falls due, in order, so idle timeouts and lingering close are
 * tested without real seconds.
 */

import type { Clock, Timer } from "../../src/clock/clock.js";

interface Scheduled {
  due: number;
  every: number;
  fn: () => void;
  cancelled: boolean;
}

export class ManualClock implements Clock {
  private wall: number;
  private mono = 1_000_000;
  private timers: Scheduled[] = [];

  constructor(wallMs = Date.UTC(2026, 10, 26, 12, 0, 0)) {
    this.wall = wallMs;
  }

  now(): number {
    return this.wall;
  }

  nowNs(): bigint {
    return BigInt(Math.round(this.wall * 1_000_000));
  }

  precisionLog2(): number {
    return -20;
  }

  /** Set the wall clock to `ms` (an instant to test, such as the 2036 wrap); monotonic time is unmoved. */
  setWall(ms: number): void {
    this.wall = ms;
  }

  monotonic(): number {
    return this.mono;
  }

  every(ms: number, fn: () => void): Timer {
    return this.schedule(ms, ms, fn);
  }

  after(ms: number, fn: () => void): Timer {
    return this.schedule(ms, 0, fn);
  }

  /** Step the wall clock alone, as an administrator or NTP would; monotonic time is unmoved. */
  stepWall(ms: number): void {
    this.wall += ms;
  }

  /** Move both clocks forward by `ms`, firing due timers in time order. */
  advance(ms: number): void {
    const end = this.mono + ms;
    for (;;) {
      const next = this.timers
        .filter((t) => !t.cancelled && t.due <= end)
        .sort((a, b) => a.due - b.due)[0];
      if (next === undefined) break;
      this.wall += next.due - this.mono;
      this.mono = next.due;
      if (next.every > 0) next.due += next.every;
      else next.cancelled = true;
      next.fn();
    }
    this.wall += end - this.mono;
    this.mono = end;
    this.timers = this.timers.filter((t) => !t.cancelled);
  }

  private schedule(ms: number, every: number, fn: () => void): Timer {
    const entry: Scheduled = { due: this.mono + ms, every, fn, cancelled: false };
    this.timers.push(entry);
    return {
      cancel: () => {
        entry.cancelled = true;
      },
    };
  }
}
