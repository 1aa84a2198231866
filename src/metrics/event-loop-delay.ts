/**
 * How late each serving process's event loop comes round, as gauges of the
 * last window: every reply waits that long. prom-client's
 * nodejs_eventloop_lag_* describe only the process serving /metrics (the
 * primary under --workers), whose loop serves no client; these come from
 * every process that serves, labelled by worker under --workers, so the
 * primary's sum keeps them apart. Read at snapshot time, never on the
 * request path; the histogram is Node's own (perf_hooks), sampled by libuv.
 */

import { monitorEventLoopDelay } from "node:perf_hooks";
import type { Clock } from "../clock/clock.js";
import type { CounterRegistry, Labels } from "./counters.js";

/** Each window's figures are shown until the next one ends. */
const WINDOW_MS = 10_000;
/** The sampling timer's period: delays shorter than this are not resolved. */
const RESOLUTION_MS = 10;
const NS_PER_S = 1e9;

export function eventLoopDelayGauges(
  registry: CounterRegistry,
  clock: Pick<Clock, "every">,
  labels: Labels = {},
): void {
  const histogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  histogram.enable();
  let last = { p50: 0, p99: 0, max: 0 };
  clock.every(WINDOW_MS, () => {
    // An empty window (a loop too busy to sample) keeps the last figures.
    if (histogram.count > 0) {
      last = {
        p50: histogram.percentile(50) / NS_PER_S,
        p99: histogram.percentile(99) / NS_PER_S,
        max: histogram.max / NS_PER_S,
      };
    }
    histogram.reset();
  });
  // Three gauges, not one with a `quantile` label: promtool allows that label on summaries only.
  const window = `over the last ${WINDOW_MS / 1000} s, in seconds`;
  registry.gaugeFunction(
    "timeserver_event_loop_delay_p50_seconds",
    `Median event-loop delay ${window}.`,
    labels,
    () => last.p50,
  );
  registry.gaugeFunction(
    "timeserver_event_loop_delay_p99_seconds",
    `99th percentile of the event-loop delay ${window}.`,
    labels,
    () => last.p99,
  );
  registry.gaugeFunction(
    "timeserver_event_loop_delay_max_seconds",
    `Longest event-loop delay ${window}.`,
    labels,
    () => last.max,
  );
}
