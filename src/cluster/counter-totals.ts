/**
 * The whole cluster's counters, kept by the primary from the registry
 * snapshots its workers report. A worker's counters live in its own memory
 * and die with it, so the last report of every worker that has exited is
 * kept too: the totals cover the server's whole run, not just the workers
 * alive now. Summing is generic: whatever a worker counts is added up.
 */

import { type MetricsSnapshot, sumSnapshots } from "../metrics/counters.js";

export class CounterTotals {
  /** The latest report of each live worker, by worker id. */
  private readonly live = new Map<number, MetricsSnapshot>();
  /** Summed final reports of the workers that have exited. */
  private retired: MetricsSnapshot = [];

  /** A worker's counters so far; replaces its previous report. */
  report(workerId: number, snapshot: MetricsSnapshot): void {
    this.live.set(workerId, snapshot);
  }

  /** The worker exited: its last report stays in the totals, and its id is free for a successor. */
  retire(workerId: number): void {
    const last = this.live.get(workerId);
    if (last === undefined) return;
    // A dead worker's gauges (connections open) describe nothing any more.
    this.retired = sumSnapshots([this.retired, last.filter((family) => family.type === "counter")]);
    this.live.delete(workerId);
  }

  /** The sum over every worker, live or exited, as of their latest reports. */
  totals(): MetricsSnapshot {
    return sumSnapshots([this.retired, ...this.live.values()]);
  }
}
