// Co-run verdicts: per-CPU-second ratios of timeserver to the naive peer are
// judged only while the shared server core was the bottleneck.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type CoRunRecord, summariseCoRuns } from "../../bench/runner/corun.js";
import type { Settings } from "../../bench/runner/plan.js";
import { judge } from "../../bench/runner/verdicts.js";

const settings: Settings = {
  durationSeconds: 1,
  warmupSeconds: 0,
  holdSeconds: 1,
  holdConnections: 1,
  repeat: 3,
  loads: ["corun"],
};

function coRun(
  attempt: number,
  naivePerCpu: number,
  timeserverPerCpu: number,
  cores = { server: 1, generator: 0.6 },
): CoRunRecord {
  const side = (perCpuSecond: number) => ({
    rate: perCpuSecond / 2,
    cpu: 0.5,
    perCpuSecond,
    bad: 0,
    errors: 0,
  });
  return {
    workload: "churn",
    unit: "sessions/s",
    attempt,
    naive: side(naivePerCpu),
    timeserver: side(timeserverPerCpu),
    ratio: timeserverPerCpu / naivePerCpu,
    serverCoreBusy: cores.server,
    generatorCoreBusy: cores.generator,
    error: undefined,
  };
}

function verdict(records: CoRunRecord[]) {
  return judge([], settings, {}, records).find((c) => c.load === "corun");
}

describe("co-run verdicts", () => {
  it("reports the median ratio of the repeats with its range", () => {
    const [summary] = summariseCoRuns([coRun(1, 100, 92), coRun(2, 100, 95), coRun(3, 100, 90)]);
    assert.ok(summary !== undefined && summary.ratio !== undefined);
    assert.equal(summary.ratio.median, 0.92);
    assert.equal(summary.ratio.min, 0.9);
    assert.equal(summary.ratio.max, 0.95);
  });

  it("passes at or above the naive peer and misses below it", () => {
    assert.equal(verdict([coRun(1, 100, 101)])?.result, "PASS");
    assert.equal(verdict([coRun(1, 100, 92)])?.result, "MISS");
  });

  it("is inconclusive when the generator's core saturated or the server core did not", () => {
    const generatorBound = verdict([coRun(1, 100, 92, { server: 1, generator: 0.97 })]);
    assert.equal(generatorBound?.result, "INCONCLUSIVE");
    assert.match(generatorBound?.note ?? "", /generator-bound/);
    const idle = verdict([coRun(1, 100, 120, { server: 0.7, generator: 0.5 })]);
    assert.equal(idle?.result, "INCONCLUSIVE");
  });

  it("has no data when a run produced no figures", () => {
    const broken: CoRunRecord = { ...coRun(1, 100, 100), ratio: undefined, error: "no JSON" };
    assert.equal(verdict([broken])?.result, "NO DATA");
  });
});
