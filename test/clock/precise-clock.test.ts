import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type ClockSources, PreciseClock } from "../../src/clock/precise-clock.js";

const MS = 1_000_000n;

function floorDiv(n: bigint, d: bigint): bigint {
  const q = n / d;
  return n < 0n && q * d !== n ? q - 1n : q;
}

/**
 * A monotonic counter and a wall clock `truth` ns ahead of it. Every read
 * costs `readCostNs` of monotonic time, so spinning always makes progress.
 */
class FakeSources implements ClockSources {
  mono = 7_000_000_123n;
  truth = 1_795_705_876_317_681_929n;
  constructor(private readonly readCostNs = 70n) {}
  monoNs(): bigint {
    this.mono += this.readCostNs;
    return this.mono;
  }
  wallMs(): number {
    this.mono += this.readCostNs;
    return Number(floorDiv(this.mono + this.truth, MS));
  }
  /** Moves time on so the wall clock sits `phaseNs` into a millisecond. */
  advanceTo(phaseNs: bigint, atLeastNs = 0n): void {
    this.mono += atLeastNs;
    const phase = (((this.mono + this.truth) % MS) + MS) % MS;
    this.mono += (phaseNs - phase + MS) % MS;
  }
}

function assertCalibrated(clock: PreciseClock, sources: FakeSources): void {
  const { offsetNs, uncertaintyNs } = clock.calibration();
  const error = offsetNs - sources.truth;
  assert.ok((error < 0n ? -error : error) <= uncertaintyNs, `error ${error} > ${uncertaintyNs}`);
}

describe("PreciseClock", () => {
  it("calibrates to the wall-minus-monotonic offset within a few reads", () => {
    const sources = new FakeSources();
    const clock = new PreciseClock(sources);
    assertCalibrated(clock, sources);
    assert.ok(clock.calibration().uncertaintyNs <= 3n * 70n);
    const now = clock.nowNs();
    const error = now - (sources.mono + sources.truth);
    assert.ok((error < 0n ? -error : error) <= clock.calibration().uncertaintyNs);
  });

  it("sees no step when there is none, at any moment within the millisecond", () => {
    const sources = new FakeSources();
    const clock = new PreciseClock(sources, { refineEveryMs: 0 });
    for (let i = 0n; i < 1000n; i++) {
      sources.advanceTo((i * 997n) % MS, 1_234_567n);
      assert.equal(clock.check(), "ok");
    }
    assert.equal(clock.stepsDetected, 0);
  });

  it("finds a forward step of 5 s at the next check and recalibrates at once", () => {
    const sources = new FakeSources();
    const clock = new PreciseClock(sources);
    sources.truth += 5_000_000_000n;
    assert.equal(clock.check(), "stepped");
    assert.equal(clock.stepsDetected, 1);
    assertCalibrated(clock, sources);
    assert.equal(clock.check(), "ok");
  });

  it("finds a backward step of 2 s", () => {
    const sources = new FakeSources();
    const clock = new PreciseClock(sources);
    sources.truth -= 2_000_000_000n;
    assert.equal(clock.check(), "stepped");
    assertCalibrated(clock, sources);
  });

  it("finds a 300 µs step when a check lands in the first 300 µs of a millisecond", () => {
    const sources = new FakeSources();
    const clock = new PreciseClock(sources, { refineEveryMs: 0 });
    sources.truth += 300_000n;
    sources.advanceTo(600_000n, 5_000_000n);
    assert.equal(clock.check(), "ok"); // 600 µs in: the step does not change the millisecond
    sources.advanceTo(100_000n, 5_000_000n);
    assert.equal(clock.check(), "stepped");
    assertCalibrated(clock, sources);
  });

  it("re-times an edge when one is due, and the edge catches a step the cheap check missed", () => {
    const sources = new FakeSources();
    const clock = new PreciseClock(sources, { refineEveryMs: 1000 });
    sources.advanceTo(500_000n, 400_000_000n);
    assert.equal(clock.check(), "ok");
    sources.advanceTo(500_000n, 1_000_000_000n);
    assert.equal(clock.check(), "refined");
    assertCalibrated(clock, sources);
    sources.truth += 50_000n;
    sources.advanceTo(500_000n, 100_000_000n);
    assert.equal(clock.check(), "ok"); // 50 µs off, mid-millisecond: invisible to one reading
    sources.advanceTo(500_000n, 1_000_000_000n);
    assert.equal(clock.check(), "stepped");
    assertCalibrated(clock, sources);
  });

  it("falls back to the middle of the millisecond when the wall clock never ticks", () => {
    const sources = new FakeSources();
    sources.wallMs = () => 1_795_705_876_317;
    const clock = new PreciseClock(sources, { edges: 2 });
    const { uncertaintyNs } = clock.calibration();
    assert.ok(uncertaintyNs >= 500_000n && uncertaintyNs < 600_000n);
  });

  it("reports precision as log2 of one read's cost, clamped to [-30, -10]", () => {
    assert.equal(new PreciseClock(new FakeSources(70n)).precisionLog2(), -23); // 70 ns ≈ 2^-23.8 s
    assert.equal(new PreciseClock(new FakeSources(1n)).precisionLog2(), -29);
    assert.equal(new PreciseClock(new FakeSources(2n * MS)).precisionLog2(), -10);
  });

  it("agrees with Date.now() on this machine", () => {
    const clock = new PreciseClock();
    for (let i = 0; i < 100; i++) {
      const before = Date.now();
      const nowMs = Number(clock.nowNs() / MS);
      const after = Date.now();
      // Within the calibration's uncertainty (well under a millisecond) of the reads around it.
      assert.ok(nowMs >= before - 1 && nowMs <= after + 1, `${before} ${nowMs} ${after}`);
    }
  });
});
