// The bench verdicts: a ratio is PASS or MISS only when the reference was the
// bottleneck; figures from several runs and several generators combine honestly.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  combineResults,
  type LoadResult,
  parseGeneratorOutput,
} from "../../bench/runner/loadgen.js";
import type { Settings } from "../../bench/runner/plan.js";
import { type RunRecord, summarise } from "../../bench/runner/statistics.js";
import { inconclusive, judge } from "../../bench/runner/verdicts.js";

function run(
  variant: string,
  role: RunRecord["role"],
  rate: number,
  busy: { server: number; generator: number; other?: number },
  attempt = 1,
): RunRecord {
  const result: LoadResult = {
    requests: rate,
    rate,
    seconds: 1,
    latencyMs: { p50: 1, p99: 2, p999: 3, max: 4 },
    badReplies: 0,
    errors: 0,
    lost: 0,
  };
  return {
    load: "rr",
    workload: "rr",
    variant,
    role,
    attempt,
    startedAt: "",
    serverCores: [0],
    generatorCores: [1],
    server: {
      command: [],
      port: undefined,
      readySeconds: undefined,
      stoppedBySigterm: true,
      logFile: undefined,
      logBytes: undefined,
    },
    generator: { name: "loadgen", commands: [] },
    wallSeconds: 1,
    result,
    error: undefined,
    rate,
    unit: "req/s",
    cpu: {
      server: busy.server,
      generator: busy.generator,
      coreBusy: [busy.server, busy.generator],
      irq: 0,
      other: busy.other ?? 0,
    },
    hold: undefined,
  };
}

const settings: Settings = {
  durationSeconds: 1,
  warmupSeconds: 0,
  holdSeconds: 1,
  holdConnections: 1,
  repeat: 1,
  loads: ["rr"],
};

function rrVerdict(records: RunRecord[]): string {
  const check = judge(records, settings, {}).find((c) => c.name === "rr throughput");
  return check?.result ?? "none";
}

describe("bench verdicts", () => {
  it("judges PASS or MISS when the reference's core was saturated and the generator's was not", () => {
    const c = run("C", "reference", 100, { server: 0.99, generator: 0.7 });
    assert.equal(
      rrVerdict([c, run("timeserver", "subject", 85, { server: 1, generator: 0.6 })]),
      "PASS",
    );
    assert.equal(
      rrVerdict([c, run("timeserver", "subject", 70, { server: 1, generator: 0.6 })]),
      "MISS",
    );
  });

  it("never passes a ratio against a generator-bound reference", () => {
    const c = run("C", "reference", 100, { server: 0.8, generator: 1 });
    const node = run("timeserver", "subject", 95, { server: 1, generator: 0.9 });
    assert.equal(rrVerdict([c, node]), "INCONCLUSIVE");
    const why = inconclusive(summarise([c]) as never, summarise([node]) as never);
    assert.match(why ?? "", /^inconclusive: generator-bound/);
  });

  it("is inconclusive when the subject's run saturated the generator", () => {
    const c = run("C", "reference", 100, { server: 0.99, generator: 0.7 });
    const node = run("timeserver", "subject", 70, { server: 0.9, generator: 0.97 });
    assert.equal(rrVerdict([c, node]), "INCONCLUSIVE");
  });

  it("is inconclusive when the reference's core was not saturated by anyone", () => {
    const c = run("C", "reference", 100, { server: 0.8, generator: 0.8 });
    const node = run("timeserver", "subject", 70, { server: 1, generator: 0.6 });
    assert.equal(rrVerdict([c, node]), "INCONCLUSIVE");
  });

  it("is inconclusive when other processes competed for the cores", () => {
    const c = run("C", "reference", 100, { server: 0.99, generator: 0.7, other: 0.3 });
    const node = run("timeserver", "subject", 90, { server: 1, generator: 0.6 });
    assert.equal(rrVerdict([c, node]), "INCONCLUSIVE");
  });

  it("says a generator-bound miss is a miss at best, when timeserver itself was saturated", () => {
    const c = run("C", "reference", 100, { server: 0.99, generator: 0.98 });
    const node = run("timeserver", "subject", 57, { server: 1, generator: 0.7 });
    const check = judge([c, node], settings, {}).find((k) => k.name === "rr throughput");
    assert.equal(check?.result, "INCONCLUSIVE");
    assert.match(check?.note ?? "", /true ratio is at most 0\.57×, below the 0\.8× target/);
  });

  it("claims no bound when the ratio is above the target or timeserver was not saturated", () => {
    const c = run("C", "reference", 100, { server: 0.99, generator: 0.98 });
    for (const node of [
      run("timeserver", "subject", 85, { server: 1, generator: 0.7 }),
      run("timeserver", "subject", 57, { server: 0.8, generator: 0.97 }),
    ]) {
      const check = judge([c, node], settings, {}).find((k) => k.name === "rr throughput");
      assert.equal(check?.result, "INCONCLUSIVE");
      assert.doesNotMatch(check?.note ?? "", /at most/);
    }
  });

  it("judges the naive peer by its own rate when its stalls, not a core, held it back", () => {
    const pipelined = (record: RunRecord): RunRecord => ({
      ...record,
      load: "pipelined",
      workload: "pipelined",
    });
    const naive = pipelined(run("naive Node", "peer", 36_000, { server: 0.02, generator: 0.01 }));
    const node = pipelined(run("timeserver", "subject", 1_900_000, { server: 1, generator: 0.6 }));
    const check = judge([naive, node], { ...settings, loads: ["pipelined"] }, {}).find(
      (k) => k.name === "pipelined throughput vs naive Node",
    );
    assert.equal(check?.result, "PASS");
    assert.match(check?.note ?? "", /waits on its own stalls/);
    const busyGenerator = pipelined(
      run("naive Node", "peer", 36_000, { server: 0.5, generator: 1 }),
    );
    const again = judge([busyGenerator, node], { ...settings, loads: ["pipelined"] }, {}).find(
      (k) => k.name === "pipelined throughput vs naive Node",
    );
    assert.equal(again?.result, "INCONCLUSIVE");
  });

  it("reports the median rate of the repeats and their spread", () => {
    const summary = summarise([
      run("C", "reference", 90, { server: 1, generator: 0.5 }, 1),
      run("C", "reference", 130, { server: 1, generator: 0.5 }, 2),
      run("C", "reference", 100, { server: 1, generator: 0.5 }, 3),
    ]);
    assert.deepEqual(summary?.rate, { median: 100, min: 90, max: 130 });
  });
});

describe("generator results", () => {
  const line =
    '{"mode":"rr","connections":100,"depth":1,"seconds":5.000,"requests":500000,"rps":100000.0,"p50_us":500.0,"p99_us":900.0,"p999_us":1500.0,"max_us":2000.0,"bad":1,"errors":2,"lost":0,"late":0,"cpu_user_s":0.500,"cpu_sys_s":4.000}';

  it("reads loadgen's JSON line into milliseconds", () => {
    const result = parseGeneratorOutput("loadgen", line);
    assert.equal(result.rate, 100000);
    assert.deepEqual(result.latencyMs, { p50: 0.5, p99: 0.9, p999: 1.5, max: 2 });
    assert.equal(result.badReplies, 1);
    assert.equal(result.errors, 2);
    assert.equal(result.generatorCpuSeconds, 4.5);
  });

  it("adds the rates of several generators and keeps their worst latency", () => {
    const a = parseGeneratorOutput("loadgen", line);
    const b = { ...a, rate: 50000, requests: 250000, latencyMs: { ...a.latencyMs, p99: 3 } };
    const both = combineResults([a, b]);
    assert.equal(both?.rate, 150000);
    assert.equal(both?.requests, 750000);
    assert.equal(both?.latencyMs.p99, 3);
    assert.equal(both?.badReplies, 2);
  });
});
