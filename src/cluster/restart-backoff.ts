/**
 * How long the primary waits before replacing a worker that died: the policy
 * alone, with no timers or clocks, so it can be tested as plain arithmetic.
 *
 * A worker that crashes at once (a bad deploy, a request that kills it) would
 * otherwise be forked in a tight loop that burns the CPU the surviving workers
 * need; doubling the wait up to a cap keeps that cost bounded, and a worker
 * that stayed up a while proves the crash was a one-off, so the wait resets.
 */

export interface BackoffPolicy {
  /** Wait before the first restart, in milliseconds. */
  initialMs: number;
  /** The longest wait, however often the worker dies. */
  maxMs: number;
  /** A worker up at least this long before dying starts the doubling over. */
  stableAfterMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = Object.freeze({
  initialMs: 100,
  maxMs: 10_000,
  stableAfterMs: 10_000,
});

/** The restart delays for one worker slot. */
export class RestartBackoff {
  private nextMs: number;

  constructor(private readonly policy: BackoffPolicy = DEFAULT_BACKOFF) {
    this.nextMs = policy.initialMs;
  }

  /** The wait before restarting a worker that died after `uptimeMs`; each call counts as a restart. */
  delayAfter(uptimeMs: number): number {
    if (uptimeMs >= this.policy.stableAfterMs) this.nextMs = this.policy.initialMs;
    const delay = this.nextMs;
    this.nextMs = Math.min(this.nextMs * 2, this.policy.maxMs);
    return delay;
  }
}
