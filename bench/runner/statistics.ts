/**
 * The records of a bench session and the statistics drawn from them: the
 * median and spread of a variant's repeats, how busy the server's and the
 * generators' cores were. No judging and no formatting here.
 */

import type { CpuFigures, HoldMemory, LoadResult } from "./loadgen.js";
import type { LoadName, Role } from "./plan.js";

export interface HoldFigures extends HoldMemory {
  /** (midHold − before) / connections, KiB per connection; undefined if there is no sample. */
  kbPerConnection: number | undefined;
  /** (endHold − before) / connections: once the idle server has settled. */
  settledKbPerConnection?: number | undefined;
  /** How the "after" figure was taken. */
  method: string;
}

export interface RunRecord {
  load: LoadName;
  workload: string;
  variant: string;
  role: Role;
  workers?: number;
  attempt: number;
  startedAt: string;
  /** Cores the server and the generator(s) were pinned to; empty = unpinned. */
  serverCores: number[];
  generatorCores: number[];
  server: {
    command: string[];
    port: number | undefined;
    readySeconds: number | undefined;
    stoppedBySigterm: boolean | undefined;
    logFile: string | undefined;
    logBytes: number | undefined;
  };
  generator: { name: string; commands: string[][] };
  wallSeconds: number;
  result: LoadResult | undefined;
  error: string | undefined;
  /** requests/s (rr, udp, hold) or sessions/s (churn). */
  rate: number | undefined;
  unit: "req/s" | "sessions/s";
  /** CPU use in cores over the middle of the measured window. */
  cpu: CpuFigures | undefined;
  hold: HoldFigures | undefined;
}

/** A core at or above this busy share is saturated. */
export const SATURATED = 0.95;
/** Other processes using this much of a core competed with the run. */
export const OTHER_LOAD = 0.1;

// ---------- summarising the repeats of one variant ----------

export function median(values: number[]): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? sorted[mid]
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

function defined(values: (number | undefined)[]): number[] {
  return values.filter((value): value is number => value !== undefined);
}

/** Busy share of the given cores in one run: their mean (server), or their max (generators). */
function coresBusy(
  cpu: CpuFigures | undefined,
  cores: number[],
  how: "mean" | "max",
): number | undefined {
  if (cpu === undefined || cores.length === 0) return undefined;
  const shares = defined(cores.map((core) => cpu.coreBusy[core]));
  if (shares.length === 0) return undefined;
  return how === "max"
    ? Math.max(...shares)
    : shares.reduce((sum, share) => sum + share, 0) / shares.length;
}

export interface Summary {
  load: LoadName;
  workload: string;
  variant: string;
  role: Role;
  workers: number | undefined;
  runs: RunRecord[];
  unit: RunRecord["unit"];
  rate: { median: number; min: number; max: number } | undefined;
  latencyMs: { p50: number; p99: number; p999: number; max: number } | undefined;
  bad: number;
  errors: number;
  lost: number;
  /** Medians over the runs, in cores / busy shares. */
  serverCpu: number | undefined;
  generatorCpu: number | undefined;
  serverCoreBusy: number | undefined;
  generatorCoreBusy: number | undefined;
  /** CPU used by other processes on the machine during the runs (cores). */
  otherCpu: number | undefined;
  kbPerConnection: number | undefined;
  settledKbPerConnection: number | undefined;
  held: number | undefined;
  answered: number | undefined;
  firstError: string | undefined;
}

export function summarise(runs: RunRecord[]): Summary | undefined {
  const first = runs[0];
  if (first === undefined) return undefined;
  const rates = defined(runs.map((r) => r.rate));
  const results = runs.flatMap((r) => (r.result === undefined ? [] : [r.result]));
  const lat = (key: keyof LoadResult["latencyMs"]) =>
    median(results.map((r) => r.latencyMs[key])) ?? 0;
  const sum = (key: "badReplies" | "errors" | "lost") =>
    results.reduce((total, r) => total + r[key], 0);
  return {
    load: first.load,
    workload: first.workload,
    variant: first.variant,
    role: first.role,
    workers: first.workers,
    runs,
    unit: first.unit,
    rate:
      rates.length === 0
        ? undefined
        : { median: median(rates) as number, min: Math.min(...rates), max: Math.max(...rates) },
    latencyMs:
      results.length === 0
        ? undefined
        : { p50: lat("p50"), p99: lat("p99"), p999: lat("p999"), max: lat("max") },
    bad: sum("badReplies"),
    errors: sum("errors"),
    lost: sum("lost"),
    serverCpu: median(defined(runs.map((r) => r.cpu?.server))),
    generatorCpu: median(defined(runs.map((r) => r.cpu?.generator))),
    serverCoreBusy: median(defined(runs.map((r) => coresBusy(r.cpu, r.serverCores, "mean")))),
    generatorCoreBusy: median(defined(runs.map((r) => coresBusy(r.cpu, r.generatorCores, "max")))),
    otherCpu: median(defined(runs.map((r) => r.cpu?.other))),
    kbPerConnection: median(defined(runs.map((r) => r.hold?.kbPerConnection))),
    settledKbPerConnection: median(defined(runs.map((r) => r.hold?.settledKbPerConnection))),
    held: median(defined(results.map((r) => r.held))),
    answered: Math.min(...defined(results.map((r) => r.answered))),
    firstError: runs.find((r) => r.error !== undefined)?.error,
  };
}

/** Every variant of every load, in the order they first ran. */
export function summariseAll(records: RunRecord[]): Summary[] {
  const groups = new Map<string, RunRecord[]>();
  for (const record of records) {
    const key = `${record.load}\u0000${record.workload}\u0000${record.variant}`;
    groups.set(key, [...(groups.get(key) ?? []), record]);
  }
  return [...groups.values()].flatMap((runs) => {
    const summary = summarise(runs);
    return summary === undefined ? [] : [summary];
  });
}

export function find(
  summaries: Summary[],
  load: LoadName,
  workload: string,
  variant: string,
): Summary | undefined {
  return summaries.find((s) => s.load === load && s.workload === workload && s.variant === variant);
}
