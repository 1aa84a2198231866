/**
 * Wall-clock time with sub-millisecond resolution that agrees with the
 * system clock (CLOCK_REALTIME). Date.now() agrees but ticks in whole
 * milliseconds; process.hrtime.bigint() (CLOCK_MONOTONIC) has nanoseconds.
 * Linux slews MONOTONIC together with REALTIME, so their difference only
 * changes when the wall clock is stepped (settimeofday, a leap second, resume
 * from suspend). We measure that difference once, at the instant Date.now()
 * ticks to a new millisecond, and watch for steps: each check() tests one
 * Date.now() reading against the prediction and recalibrates when it does not
 * fit. Reading the clock is one hrtime read and one add.
 */

/** The two clocks the precise clock is built from; fakes in tests. */
export interface ClockSources {
  /** Wall-clock milliseconds since the Unix epoch, floored (Date.now()). */
  wallMs(): number;
  /** A monotonic nanosecond counter slewed with the wall clock (process.hrtime.bigint()). */
  monoNs(): bigint;
}

export const systemClockSources: ClockSources = {
  wallMs: () => Date.now(),
  monoNs: () => process.hrtime.bigint(),
};

export interface PreciseClockOptions {
  /** Millisecond edges timed at each full calibration; the tightest wins. Default 5 (about 5 ms of spinning). */
  edges?: number;
  /** check() times one more edge (≤ 1 ms of spinning) when the last was this long ago; 0 = never. Default 64 000. */
  refineEveryMs?: number;
  /** A Date.now() reading this far outside the prediction (beyond the calibration's own uncertainty) is a step. Default 10. */
  stepToleranceUs?: number;
}

/** What check() did: nothing, re-timed one edge, or found a step and recalibrated. */
export type ClockCheck = "ok" | "refined" | "stepped";

export interface ClockCalibration {
  /** Wall-clock ns minus monotonic ns. */
  offsetNs: bigint;
  /** Half the width of the interval the edge was timed in: the calibration's worst-case error. */
  uncertaintyNs: bigint;
  /** Monotonic time of the calibration. */
  atMonoNs: bigint;
}

const NS_PER_MS = 1_000_000n;
/** Give up waiting for a millisecond edge after this long (a stopped or fake wall clock). */
const MAX_SPIN_NS = 3n * NS_PER_MS;
const MAX_SPIN_READS = 1_000_000;
const PRECISION_READS = 64;
const PRECISION_BATCHES = 4;

function floorDiv(n: bigint, d: bigint): bigint {
  const q = n / d;
  return n < 0n && q * d !== n ? q - 1n : q;
}

export class PreciseClock {
  private offsetNs = 0n;
  private uncertaintyNs = 0n;
  private atMonoNs = 0n;
  private readonly edges: number;
  private readonly refineEveryNs: bigint;
  private readonly toleranceNs: bigint;
  private readonly precision: number;
  /** Steps found by check() since construction (for metrics). */
  stepsDetected = 0;

  constructor(
    private readonly sources: ClockSources = systemClockSources,
    options: PreciseClockOptions = {},
  ) {
    this.edges = Math.max(1, options.edges ?? 5);
    this.refineEveryNs = BigInt(options.refineEveryMs ?? 64_000) * NS_PER_MS;
    this.toleranceNs = BigInt(Math.round((options.stepToleranceUs ?? 10) * 1000));
    this.calibrate();
    this.precision = this.measurePrecision();
  }

  /** Now, in nanoseconds since the Unix epoch. */
  nowNs(): bigint {
    return this.sources.monoNs() + this.offsetNs;
  }

  /**
   * Cheap step detection, for the caller's housekeeping (every second or
   * few): one Date.now() between two monotonic reads must fall in the
   * millisecond the calibration predicts; if not, the wall clock was stepped
   * and the clock recalibrates at once. A step smaller than a millisecond is
   * caught only when a check lands near a millisecond edge, so checks at
   * unsynchronised moments catch it soon; every `refineEveryMs` one edge is
   * re-timed as well, which catches any step larger than the uncertainty.
   */
  check(): ClockCheck {
    const before = this.sources.monoNs();
    const wall = BigInt(this.sources.wallMs());
    const after = this.sources.monoNs();
    const margin = this.uncertaintyNs + this.toleranceNs;
    const earliest = floorDiv(before + this.offsetNs - margin, NS_PER_MS);
    const latest = floorDiv(after + this.offsetNs + margin, NS_PER_MS);
    if (wall < earliest || wall > latest) {
      this.stepsDetected++;
      this.calibrate();
      return "stepped";
    }
    if (this.refineEveryNs > 0n && after - this.atMonoNs >= this.refineEveryNs) {
      const edge = this.timeEdge();
      if (edge === undefined) return "ok";
      const apart = edge.offsetNs - this.offsetNs;
      if ((apart < 0n ? -apart : apart) > edge.uncertaintyNs + margin) {
        this.stepsDetected++;
        this.calibrate();
        return "stepped";
      }
      // Same offset within both uncertainties: keep the tighter measurement.
      if (edge.uncertaintyNs < this.uncertaintyNs) this.adopt(edge);
      else this.atMonoNs = edge.atMonoNs;
      return "refined";
    }
    return "ok";
  }

  /** The clock's precision for NTP: log2 of the cost of one read in seconds, rounded up, clamped to [-30, -10]. */
  precisionLog2(): number {
    return this.precision;
  }

  /** The current calibration, for logs and metrics. */
  calibration(): ClockCalibration {
    return {
      offsetNs: this.offsetNs,
      uncertaintyNs: this.uncertaintyNs,
      atMonoNs: this.atMonoNs,
    };
  }

  /** Times `edges` millisecond edges and keeps the tightest. */
  private calibrate(): void {
    let best: ClockCalibration | undefined;
    for (let i = 0; i < this.edges; i++) {
      const edge = this.timeEdge();
      if (edge !== undefined && (best === undefined || edge.uncertaintyNs < best.uncertaintyNs))
        best = edge;
    }
    this.adopt(best ?? this.coarseSample());
  }

  private adopt(calibration: ClockCalibration): void {
    this.offsetNs = calibration.offsetNs;
    this.uncertaintyNs = calibration.uncertaintyNs;
    this.atMonoNs = calibration.atMonoNs;
  }

  /**
   * Spins until Date.now() moves to a new millisecond. The wall clock passed
   * `newMs` exactly (Date.now() floors) between the previous reading and this
   * one, and both lie between the monotonic reads taken around them.
   */
  private timeEdge(): ClockCalibration | undefined {
    const { sources } = this;
    let before = sources.monoNs();
    let wall = sources.wallMs();
    const deadline = before + MAX_SPIN_NS;
    for (let reads = 0; reads < MAX_SPIN_READS; reads++) {
      const middle = sources.monoNs();
      const next = sources.wallMs();
      const after = sources.monoNs();
      if (next > wall) {
        const edgeMono = (before + after) / 2n;
        return {
          offsetNs: BigInt(next) * NS_PER_MS - edgeMono,
          uncertaintyNs: (after - before + 1n) / 2n,
          atMonoNs: after,
        };
      }
      // A backward step restarts the wait from the new reading.
      before = middle;
      wall = next;
      if (after > deadline) return undefined;
    }
    return undefined;
  }

  /** Without an edge: the middle of the millisecond one reading falls in. */
  private coarseSample(): ClockCalibration {
    const before = this.sources.monoNs();
    const wall = BigInt(this.sources.wallMs());
    const after = this.sources.monoNs();
    return {
      offsetNs: wall * NS_PER_MS + NS_PER_MS / 2n - (before + after) / 2n,
      uncertaintyNs: NS_PER_MS / 2n + (after - before + 1n) / 2n,
      atMonoNs: after,
    };
  }

  /** The cheapest of a few batches of reads, so a cold first batch does not count. */
  private measurePrecision(): number {
    let perReadNs = Number.POSITIVE_INFINITY;
    for (let batch = 0; batch < PRECISION_BATCHES; batch++) {
      const start = this.sources.monoNs();
      let last = start;
      for (let i = 0; i < PRECISION_READS; i++) last = this.nowNs();
      perReadNs = Math.min(perReadNs, Number(last - this.offsetNs - start) / PRECISION_READS);
    }
    const log2 = Math.ceil(Math.log2(Math.max(perReadNs, 1) / 1e9));
    return Math.min(-10, Math.max(-30, log2));
  }
}
