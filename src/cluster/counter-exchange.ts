/**
 * The primary's side of the counters exchange with its workers: it asks
 * every serving worker for a report (the "report" message, with an id), takes
 * their answers (the "stats" message) into the totals, and says when the
 * totals are fresh: when every worker asked has answered, or after a timeout
 * with the latest reports of those that have not. Who the workers are and
 * how a message reaches one is the supervisor's business.
 */

import type { MetricsSnapshot } from "../metrics/counters.js";
import { CounterTotals } from "./counter-totals.js";

/** How long a scrape waits for the workers' counters before using their latest reports. */
export const REPORT_TIMEOUT_MS = 1000;

export class CounterExchange {
  /** The whole cluster's counters, as of the workers' latest reports. */
  readonly totals = new CounterTotals();
  /**
   * Keyed by request, not by worker: overlapping scrapes each wait for their
   * own answers (keyed by worker, a newer scrape's waiter replaced an older
   * one's, which then waited out the whole timeout: ~1 s per scrape).
   */
  private readonly waiters = new Map<number, () => void>();
  private lastId = 0;

  constructor(private readonly timeoutMs = REPORT_TIMEOUT_MS) {}

  /**
   * Ask each of `workerIds` for its counters (`ask(workerId, requestId)`
   * sends the request); resolves with the totals once all have answered, or
   * after the timeout.
   */
  async fresh(
    workerIds: readonly number[],
    ask: (workerId: number, requestId: number) => void,
  ): Promise<MetricsSnapshot> {
    await Promise.all(
      workerIds.map(
        (workerId) =>
          new Promise<void>((resolve) => {
            const id = ++this.lastId;
            const timer = setTimeout(() => {
              this.waiters.delete(id);
              resolve();
            }, this.timeoutMs);
            this.waiters.set(id, () => {
              clearTimeout(timer);
              resolve();
            });
            ask(workerId, id);
          }),
      ),
    );
    return this.totals.totals();
  }

  /** A worker's report, asked for (`requestId` answers a request) or not. */
  received(workerId: number, requestId: number | undefined, snapshot: MetricsSnapshot): void {
    this.totals.report(workerId, snapshot);
    if (requestId === undefined) return;
    const done = this.waiters.get(requestId);
    if (done !== undefined) {
      this.waiters.delete(requestId);
      done();
    }
  }

  /** The worker exited: its last report stays in the totals. */
  retire(workerId: number): void {
    this.totals.retire(workerId);
  }
}
