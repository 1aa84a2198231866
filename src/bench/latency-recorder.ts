/**
 * Latencies go into an HDR histogram in whole microseconds: constant memory
 * and constant-time recording however long the run, with percentiles exact to
 * three significant digits. Milliseconds come in and go out, because that is
 * what performance.now() gives and what people read.
 */

import { build, type Histogram } from "hdr-histogram-js";
import type { LatencyMs } from "./bench-options.js";

/** One hour; longer samples still count (the histogram grows), this only sizes it. */
const HIGHEST_EXPECTED_US = 3_600_000_000;

export class LatencyRecorder {
  private readonly histogram: Histogram = build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: HIGHEST_EXPECTED_US,
    numberOfSignificantValueDigits: 3,
    autoResize: true,
  });

  /** Record `count` samples of `ms` milliseconds (a batch sent together and answered together). */
  record(ms: number, count = 1): void {
    const us = ms > 0 ? Math.round(ms * 1000) : 0;
    if (count === 1) this.histogram.recordValue(us);
    else this.histogram.recordValueWithCount(us, count);
  }

  get count(): number {
    return this.histogram.totalCount;
  }

  /** The latency at `percentile` (0-100) in ms; NaN when nothing was recorded. */
  percentileMs(percentile: number): number {
    if (this.histogram.totalCount === 0) return Number.NaN;
    return this.histogram.getValueAtPercentile(percentile) / 1000;
  }

  summaryMs(): LatencyMs {
    if (this.histogram.totalCount === 0) {
      return {
        p50: Number.NaN,
        p90: Number.NaN,
        p99: Number.NaN,
        p999: Number.NaN,
        max: Number.NaN,
      };
    }
    // Percentiles are bucket edges a hair above the samples; never show one above the true max.
    const max = this.histogram.maxValue / 1000;
    const at = (percentile: number) => Math.min(this.percentileMs(percentile), max);
    return { p50: at(50), p90: at(90), p99: at(99), p999: at(99.9), max };
  }
}
