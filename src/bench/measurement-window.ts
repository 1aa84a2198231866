/**
 * The clock of a timed run (rr, churn): warmup, then the measured stretch,
 * which ends when the duration has passed, the target count is reached or
 * the caller aborts. Resolves with the measured seconds once `done` is set.
 */

import { performance } from "node:perf_hooks";
import type { BenchOptions } from "./bench-options.js";
import type { LoadCounters } from "./load-counters.js";

export function measurementWindow(counters: LoadCounters, options: BenchOptions): Promise<number> {
  const { warmupSeconds, durationSeconds, signal } = options;
  // With -n the target count ends the run, not the clock.
  const byCount = options.requests !== undefined;
  return new Promise((resolve) => {
    let startedAt = 0;
    let timer: NodeJS.Timeout | undefined;
    const finish = () => {
      if (counters.done) return;
      counters.done = true;
      clearTimeout(timer);
      signal?.removeEventListener("abort", finish);
      resolve(counters.measuring ? (performance.now() - startedAt) / 1000 : 0);
    };
    const begin = () => {
      counters.measuring = true;
      counters.phase = "measuring";
      startedAt = performance.now();
      timer = byCount ? undefined : setTimeout(finish, durationSeconds * 1000);
    };
    counters.whenTargetReached(finish);
    signal?.addEventListener("abort", finish, { once: true });
    if (signal?.aborted) return finish();
    if (warmupSeconds > 0) {
      counters.phase = "warmup";
      timer = setTimeout(begin, warmupSeconds * 1000);
    } else {
      begin();
    }
  });
}
