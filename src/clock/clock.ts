/**
 * The one clock everything time-dependent reads: the wall clock for what a
 * reply says, a monotonic clock for how long something took (idle timeouts,
 * lingering close, rate limits, log throttling), and timers. Injected
 * everywhere, so tests can move time without waiting for it.
 */

export interface Timer {
  cancel(): void;
}

export interface Clock {
  /** Wall-clock milliseconds since the Unix epoch: what replies tell. */
  now(): number;
  /** Milliseconds from an arbitrary origin that never jumps: what deadlines use. */
  monotonic(): number;
  /** Calls `fn` every `ms` until cancelled; never keeps the process alive on its own. */
  every(ms: number, fn: () => void): Timer;
  /** Calls `fn` once after `ms` unless cancelled; never keeps the process alive on its own. */
  after(ms: number, fn: () => void): Timer;
}

class SystemClock implements Clock {
  now(): number {
    return Date.now();
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
