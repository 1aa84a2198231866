/**
 * The whole cluster's counters, kept by the primary from what its workers
 * report. A worker's counters live in its own memory and die with it, so the
 * last report of every worker that has exited is kept too: the totals cover
 * the server's whole run, not just the workers alive now.
 */

import { emptyStats, type ServerStats } from "../server/session-host.js";

const COUNTERS = [
  "accepted",
  "rejected",
  "timeRequests",
  "quitRequests",
  "invalidRequests",
] as const satisfies readonly (keyof ServerStats)[];

/** `into` += `from`, counter by counter. */
export function addStats(into: ServerStats, from: ServerStats): void {
  for (const counter of COUNTERS) into[counter] += from[counter];
}

export class CounterTotals {
  /** The latest report of each live worker, by worker id. */
  private readonly live = new Map<number, ServerStats>();
  /** Summed final reports of the workers that have exited. */
  private readonly retired = emptyStats();

  /** A worker's counters so far; replaces its previous report (counters only grow). */
  report(workerId: number, stats: ServerStats): void {
    const copy = emptyStats();
    addStats(copy, stats);
    this.live.set(workerId, copy);
  }

  /** The worker exited: its last report stays in the totals, and its id is free for a successor. */
  retire(workerId: number): void {
    const last = this.live.get(workerId);
    if (last === undefined) return;
    addStats(this.retired, last);
    this.live.delete(workerId);
  }

  /** The sum over every worker, live or exited, as of their latest reports. */
  totals(): ServerStats {
    const sum = emptyStats();
    addStats(sum, this.retired);
    for (const stats of this.live.values()) addStats(sum, stats);
    return sum;
  }
}
