/**
 * The one clock everything time-dependent reads: the wall clock for what a
 * reply says, a monotonic clock for how long something took (idle timeouts,
 * lingering close, rate limits, log throttling), and timers. Injected
 * everywhere, so tests can move time without waiting for it.
 */

import { PreciseClock } from "./precise-clock.js";

export interface Timer {
  cancel(): void;
}

export interface Clock {
  /** Wall-clock milliseconds since the Unix epoch: what replies tell. */
  now(): number;
  /**
   * Wall-clock nanoseconds since the Unix epoch, good to well under a
   * millisecond (NTP timestamps): Date.now() alone ticks in whole milliseconds.
   */
  nowNs(): bigint;
  /** log2 of the precision of `nowNs()` in seconds (NTP's precision field). */
  precisionLog2(): number;
  /** Milliseconds from an arbitrary origin that never jumps: what deadlines use. */
  monotonic(): number;
  /** Calls `fn` every `ms` until cancelled; never keeps the process alive on its own. */
  every(ms: number, fn: () => void): Timer;
  /** Calls `fn` once after `ms` unless cancelled; never keeps the process alive on its own. */
  after(ms: number, fn: () => void): Timer;
  /** Wall-clock steps noticed so far (the precise clock recalibrated), for metrics; absent when not watched. */
  stepsDetected?(): number;
}

/** How often the precise clock checks itself against the system clock for steps. */
const PRECISE_CHECK_INTERVAL_NS = 1_000_000_000n;

class SystemClock implements Clock {
  private precise: PreciseClock | undefined;
  private lastCheckNs = 0n;

  now(): number {
    return Date.now();
  }

  nowNs(): bigint {
    const precise = this.preciseClock();
    const now = precise.nowNs();
    // The time is read first: a check may spin up to a millisecond re-timing
    // an edge, which must not delay a receive timestamp.
    if (now - this.lastCheckNs >= PRECISE_CHECK_INTERVAL_NS) {
      this.lastCheckNs = now;
      if (precise.check() === "stepped") return precise.nowNs();
    }
    return now;
  }

  precisionLog2(): number {
    return this.preciseClock().precisionLog2();
  }

  /** Only nowNs() (SNTP) makes and checks the precise clock: no SNTP, no steps seen. */
  stepsDetected(): number {
    return this.precise?.stepsDetected ?? 0;
  }

  /** Made on first use: calibrating it spins for a few milliseconds. */
  private preciseClock(): PreciseClock {
    if (this.precise === undefined) {
      this.precise = new PreciseClock();
      this.lastCheckNs = this.precise.nowNs();
    }
    return this.precise;
  }

  monotonic(): number {
    return performance.now();
  }

  every(ms: number, fn: () => void): Timer {
    const handle = setInterval(fn, ms);
    handle.unref();
    return { cancel: () => clearInterval(handle) };
  }

  after(ms: number, fn: () => void): Timer {
    const handle = setTimeout(fn, ms);
    handle.unref();
    return { cancel: () => clearTimeout(handle) };
  }
}

export const SYSTEM_CLOCK: Clock = new SystemClock();
