/**
 * Efficiency on a shared core: the naive peer and timeserver run at the same
 * time on the server core, each driven by its own loadgen on the generator
 * core. With both servers saturated the scheduler gives each about half the
 * core, so what each answers per CPU-second compares what each spends per
 * request, and whatever else slows the machine slows both alike. Separate
 * runs of one server at a time vary by ±10–15% on a shared VM; a co-run
 * ratio repeats to about ±1%, which is what a few-percent difference needs.
 */

import { type LoadPaths, type LoadSpec, runLoad } from "./loadgen.js";
import type { Pinning, Settings } from "./plan.js";
import {
  type RunningServer,
  type ServerPaths,
  type ServerSpec,
  startServer,
  stopServer,
} from "./servers.js";
import { median, SATURATED } from "./statistics.js";

export interface CoRunPair {
  workload: "churn" | "rr" | "udp-sntp" | "udp-rfc868" | "udp-daytime";
  unit: "sessions/s" | "req/s";
  traffic: LoadSpec;
  naive: ServerSpec;
  timeserver: ServerSpec;
}

/** One server's side of a co-run. */
export interface CoRunSide {
  rate: number;
  /** Cores of CPU its process used over the middle of the window. */
  cpu: number;
  /** Requests (churn: sessions) per CPU-second. */
  perCpuSecond: number;
  bad: number;
  errors: number;
}

export interface CoRunRecord {
  workload: CoRunPair["workload"];
  unit: CoRunPair["unit"];
  attempt: number;
  naive: CoRunSide | undefined;
  timeserver: CoRunSide | undefined;
  /** timeserver's requests per CPU-second ÷ the naive peer's. */
  ratio: number | undefined;
  serverCoreBusy: number | undefined;
  generatorCoreBusy: number | undefined;
  error: string | undefined;
}

/** The co-run loads: the connection's whole life, one request per turn, and UDP. */
export function coRunPairs(settings: Settings, pin: Pinning): CoRunPair[] {
  const timed = {
    generator: "loadgen" as const,
    durationSeconds: settings.durationSeconds,
    warmupSeconds: settings.warmupSeconds,
    // Both loadgens on the generator cores, left to the scheduler among them.
    cpus: [pin.generators.length === 0 ? undefined : pin.generators.join(",")],
  };
  const naive = (workload: string): ServerSpec => ({
    name: `corun-naive-${workload}`,
    kind: "naive",
    cpus: pin.server,
  });
  const node = (workload: string): ServerSpec => ({
    name: `corun-node-${workload}`,
    kind: "node",
    cpus: pin.server,
    logLevel: "warn",
  });
  const udp = { udp: true, ready: "udp" as const };
  return [
    {
      workload: "churn",
      unit: "sessions/s",
      traffic: { ...timed, mode: "churn", connections: 50 },
      naive: naive("churn"),
      timeserver: node("churn"),
    },
    {
      workload: "rr",
      unit: "req/s",
      traffic: { ...timed, mode: "rr", connections: 100, depth: 1 },
      naive: naive("rr"),
      timeserver: node("rr"),
    },
    ...(["ntp", "rfc868", "daytime"] as const).map((service): CoRunPair => {
      const workload = service === "ntp" ? ("udp-sntp" as const) : (`udp-${service}` as const);
      return {
        workload,
        unit: "req/s" as const,
        traffic: { ...timed, mode: workload, connections: 4, depth: 16, service },
        naive: { ...naive(workload), kind: "naive-udp", ...udp },
        timeserver: { ...node(workload), ...udp },
      };
    }),
  ];
}

export async function runCoRun(
  pair: CoRunPair,
  attempt: number,
  serverPaths: ServerPaths,
  loadPaths: LoadPaths,
): Promise<CoRunRecord> {
  const record: CoRunRecord = {
    workload: pair.workload,
    unit: pair.unit,
    attempt,
    naive: undefined,
    timeserver: undefined,
    ratio: undefined,
    serverCoreBusy: undefined,
    generatorCoreBusy: undefined,
    error: undefined,
  };
  const servers: RunningServer[] = [];
  try {
    servers.push(await startServer(pair.naive, serverPaths));
    servers.push(await startServer(pair.timeserver, serverPaths));
    const outcomes = await Promise.all(servers.map((s) => runLoad(pair.traffic, s, loadPaths)));
    const sides = outcomes.map((outcome): CoRunSide | undefined => {
      const result = outcome.result;
      const cpu = outcome.cpu?.server;
      if (result === undefined || cpu === undefined || cpu <= 0) return undefined;
      return {
        rate: result.rate,
        cpu,
        perCpuSecond: result.rate / cpu,
        bad: result.badReplies,
        errors: result.errors,
      };
    });
    [record.naive, record.timeserver] = sides;
    const errors = outcomes.map((o) => o.error).filter((e) => e !== undefined);
    if (errors.length > 0) record.error = errors.join("; ");
    if (record.naive !== undefined && record.timeserver !== undefined) {
      record.ratio = record.timeserver.perCpuSecond / record.naive.perCpuSecond;
    }
    // Both samplers saw the same cores; either one's figures describe them.
    const cpu = outcomes[0]?.cpu;
    const busiest = (list: string | undefined) => {
      if (list === undefined || cpu === undefined) return undefined;
      const busy = list.split(",").map((core) => cpu.coreBusy[Number(core)] ?? 0);
      return Math.max(...busy);
    };
    record.serverCoreBusy = busiest(pair.naive.cpus);
    record.generatorCoreBusy = busiest(pair.traffic.cpus[0]);
    if (servers.some((s) => s.exited) && record.error === undefined) {
      record.error = "a server exited during the run";
    }
  } catch (error) {
    record.error = (error as Error).message;
  } finally {
    for (const server of servers) await stopServer(server);
  }
  return record;
}

export interface CoRunSummary {
  workload: CoRunPair["workload"];
  unit: CoRunPair["unit"];
  runs: CoRunRecord[];
  naivePerCpuSecond: number | undefined;
  timeserverPerCpuSecond: number | undefined;
  ratio: { median: number; min: number; max: number } | undefined;
  serverCoreBusy: number | undefined;
  generatorCoreBusy: number | undefined;
  /** Why the ratio cannot be judged, if it cannot. */
  inconclusive: string | undefined;
  firstError: string | undefined;
}

export function summariseCoRuns(records: CoRunRecord[]): CoRunSummary[] {
  const workloads = [...new Set(records.map((r) => r.workload))];
  return workloads.map((workload) => {
    const runs = records.filter((r) => r.workload === workload);
    const ratios = runs.flatMap((r) => (r.ratio === undefined ? [] : [r.ratio]));
    const of = (pick: (r: CoRunRecord) => number | undefined) =>
      median(runs.flatMap((r) => (pick(r) === undefined ? [] : [pick(r) as number])));
    const serverCoreBusy = of((r) => r.serverCoreBusy);
    const generatorCoreBusy = of((r) => r.generatorCoreBusy);
    const ratioMedian = median(ratios);
    return {
      workload,
      unit: runs[0]?.unit ?? "req/s",
      runs,
      naivePerCpuSecond: of((r) => r.naive?.perCpuSecond),
      timeserverPerCpuSecond: of((r) => r.timeserver?.perCpuSecond),
      ratio:
        ratioMedian === undefined
          ? undefined
          : { median: ratioMedian, min: Math.min(...ratios), max: Math.max(...ratios) },
      serverCoreBusy,
      generatorCoreBusy,
      inconclusive: coRunInconclusive(serverCoreBusy, generatorCoreBusy),
      firstError: runs.find((r) => r.error !== undefined)?.error,
    };
  });
}

/** A co-run compares costs only while the shared server core is the bottleneck. */
export function coRunInconclusive(
  serverCoreBusy: number | undefined,
  generatorCoreBusy: number | undefined,
): string | undefined {
  if (serverCoreBusy === undefined || generatorCoreBusy === undefined) {
    return "inconclusive: no per-core CPU figures (unpinned?)";
  }
  if (generatorCoreBusy >= SATURATED) {
    return `inconclusive: generator-bound (generator core ${Math.round(generatorCoreBusy * 100)}% busy)`;
  }
  if (serverCoreBusy < SATURATED) {
    return `inconclusive: the shared server core only ${Math.round(serverCoreBusy * 100)}% busy`;
  }
  return undefined;
}
