/**
 * The shared tally of one run, written by every connection of a load mode and
 * read by the progress line and the final result. Warmup is handled here:
 * until `measuring` is set, completions are not counted and latencies not
 * recorded; bad replies and errors count from the first byte, as they are
 * wrong whenever they happen.
 */

import type { BenchPhase } from "./bench-options.js";
import { LatencyRecorder } from "./latency-recorder.js";

export class LoadCounters {
  phase: BenchPhase = "connecting";
  /** Set when warmup ends. */
  measuring = false;
  /** Set when the run ends; connections stop sending and their closes are not errors. */
  done = false;
  /** Replies (rr, hold) or sessions (churn) counted while measuring. */
  completed = 0;
  /** The same, warmup included: what the progress line shows. */
  seen = 0;
  badReplies = 0;
  errors = 0;
  /** Connections currently open (rr, hold). */
  open = 0;
  readonly latency = new LatencyRecorder();
  private readonly target: number;
  private onTarget: () => void = () => {};

  /** `target`: completions that end the run (-n); undefined = the clock ends it. */
  constructor(target: number | undefined) {
    this.target = target ?? Number.POSITIVE_INFINITY;
  }

  /** Called once, when `completed` reaches the target. */
  whenTargetReached(callback: () => void): void {
    this.onTarget = callback;
  }

  /**
   * Count `n` completions; returns how many counted (0 during warmup or after
   * the end, fewer than `n` if the target is reached part way), so the caller
   * records latency for exactly those.
   */
  complete(n: number): number {
    this.seen += n;
    if (!this.measuring || this.done) return 0;
    const room = this.target - this.completed;
    if (n < room) {
      this.completed += n;
      return n;
    }
    this.completed += room;
    this.onTarget();
    return room;
  }
}
