/**
 * What `npm run bench` runs: the loads, the servers each one is run against
 * (the C reference, the naive Node peer, timeserver), which of them is the
 * reference, and the settings from the environment and the command line.
 * Every side-by-side figure is driven by the C load generator; timebench
 * appears only in its own row, measured against it.
 */

import type { LoadSpec } from "./loadgen.js";
import type { ServerSpec } from "./servers.js";

export const LOAD_NAMES = [
  "rr",
  "pipelined",
  "churn",
  "hold",
  "udp",
  "logging",
  "corun",
  "timebench",
  "workers",
] as const;
export type LoadName = (typeof LOAD_NAMES)[number];

export const LOAD_DESCRIPTIONS: Record<LoadName, string> = {
  rr: "closed loop, 100 connections, pipeline 1",
  pipelined: "closed loop, 100 connections, pipeline 16",
  churn: "50 loops of connect, TIME, QUIT, close",
  hold: "idle connections on a fresh server, then one TIME each",
  udp: "SNTP, RFC 868 and daytime over UDP, 4 sockets × 16 outstanding",
  logging: "timeserver rr, --log-level info to a file vs warn",
  corun:
    "naive peer and timeserver at once on the server core (churn, rr, UDP): requests per CPU-second",
  timebench: "what one timebench process drives vs loadgen, rr against the C reference",
  workers: "--workers 1, 2, 4… vs the C reference with as many SO_REUSEPORT threads",
};

/** Default loads: workers only when asked for (it needs spare cores). */
export const DEFAULT_LOADS: readonly LoadName[] = LOAD_NAMES.filter((name) => name !== "workers");

export interface Settings {
  durationSeconds: number;
  warmupSeconds: number;
  holdSeconds: number;
  holdConnections: number;
  /** Runs of each variant, interleaved; the median by rate is reported. */
  repeat: number;
  loads: LoadName[];
}

export const USAGE = `Usage: npm run bench [-- <load>...]

Runs the loads against the C reference, the naive Node peer and timeserver,
driven by the C load generator (bench/c-loadgen), and writes
bench/results/latest.md and bench/results/latest.json. Loads (default: all
but workers):
${LOAD_NAMES.map((name) => `  ${name.padEnd(10)} ${LOAD_DESCRIPTIONS[name]}`).join("\n")}

Environment:
  BENCH_DURATION          measured seconds per run (default 5)
  BENCH_WARMUP            warmup seconds per run, not measured (default 1)
  BENCH_HOLD_SECONDS      hold: seconds the connections stay idle (default 25)
  BENCH_HOLD_CONNECTIONS  hold: connections (default 15000)
  BENCH_REPEAT            runs of each variant, interleaved; median reported (default 3)
`;

export type ParsedArgs =
  | { kind: "run"; settings: Settings }
  | { kind: "help" }
  | { kind: "error"; message: string };

function envNumber(
  env: NodeJS.ProcessEnv,
  name: string,
  fallback: number,
  min: number,
  integer = false,
): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === "") return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < min || (integer && !Number.isInteger(value))) {
    throw new Error(
      `${name} must be ${integer ? "a whole number" : "a number"} ≥ ${min}, not ${JSON.stringify(raw)}`,
    );
  }
  return value;
}

export function parseArgs(argv: readonly string[], env: NodeJS.ProcessEnv): ParsedArgs {
  if (argv.some((arg) => arg === "-h" || arg === "--help")) return { kind: "help" };
  const unknown = argv.filter((arg) => !(LOAD_NAMES as readonly string[]).includes(arg));
  if (unknown.length > 0) {
    return {
      kind: "error",
      message: `unknown load ${unknown.join(", ")}; loads: ${LOAD_NAMES.join(", ")}`,
    };
  }
  try {
    const settings: Settings = {
      durationSeconds: envNumber(env, "BENCH_DURATION", 5, 0.5),
      warmupSeconds: envNumber(env, "BENCH_WARMUP", 1, 0),
      holdSeconds: envNumber(env, "BENCH_HOLD_SECONDS", 25, 0.5),
      holdConnections: envNumber(env, "BENCH_HOLD_CONNECTIONS", 15_000, 1, true),
      repeat: envNumber(env, "BENCH_REPEAT", 3, 1, true),
      // Keep the documented order whatever order they were given in.
      loads:
        argv.length === 0 ? [...DEFAULT_LOADS] : LOAD_NAMES.filter((name) => argv.includes(name)),
    };
    return { kind: "run", settings };
  } catch (error) {
    return { kind: "error", message: (error as Error).message };
  }
}

/** What a server is in a comparison. */
export type Role = "reference" | "peer" | "subject" | "context";

/** One server variant under one load. */
export interface Case {
  load: LoadName;
  /** The load shape within the load: rr, pipelined, churn, hold, udp-sntp… */
  workload: string;
  /** Which server: "C", "naive Node", "timeserver", "C --mmsg", "timeserver info"… */
  variant: string;
  role: Role;
  server: ServerSpec;
  traffic: LoadSpec;
  /** Server processes or threads, for the workers load. */
  workers?: number;
}

/** Which cores the server and the generators run on; undefined / empty = not pinned. */
export interface Pinning {
  server: string | undefined;
  /** One loadgen process per core listed, the load's connections split among them. */
  generators: string[];
}

/** More generator cores than this add nothing: two already outrun a one-core server. */
export const MAX_GENERATOR_CORES = 3;

/**
 * The server on core 0, the generators on the cores after it (at most
 * MAX_GENERATOR_CORES). A generator does about the server's work per request,
 * so on 2 cores a single generator core can at best tie a fast server; with
 * more cores the generators outrun it and the C reference can be the
 * bottleneck the verdicts need.
 */
export function pinningFor(cores: number, pinned: boolean): Pinning {
  if (!pinned || cores < 2) return { server: undefined, generators: [] };
  return { server: "0", generators: coreList(1, Math.min(cores - 1, MAX_GENERATOR_CORES)) };
}

/** Each generator's share of a load's connections (rounded up). */
export function perGenerator(total: number, pin: Pinning): number {
  return Math.ceil(total / Math.max(1, pin.generators.length));
}

/** What the machine allows for the workers load. */
export interface WorkersPlan {
  /** Server process / thread counts to run, e.g. [1, 2, 4]; empty = cannot measure. */
  counts: number[];
  note: string;
}

/**
 * Scaling is honest only when each server core has a generator core of its
 * own: n server cores need n more for n generators. On 2 cores that leaves
 * nothing to scale to.
 */
export function workersPlan(cores: number, pinned: boolean): WorkersPlan {
  if (!pinned) {
    return { counts: [], note: "taskset is missing: scaling cannot be measured unpinned." };
  }
  const counts: number[] = [];
  for (let n = 1; 2 * n <= cores; n *= 2) counts.push(n);
  if (counts.length < 2) {
    return {
      counts: [],
      note: `cannot measure scaling honestly on ${cores} cores: n server processes need n more cores for their load generators (one loadgen per server core, or the generator is what saturates), so there is no core to spare beyond 1 server + 1 generator. Run \`npm run bench -- workers\` on a machine with ≥ 4 cores.`,
    };
  }
  return {
    counts,
    note: `${counts.join(", ")} server processes (C: threads) on cores 0…n−1, n loadgen processes on cores n…2n−1, their figures added.`,
  };
}

function coreList(from: number, count: number): string[] {
  return Array.from({ length: count }, (_, i) => String(from + i));
}

/** The cases of one load, in the order they run (reference first). */
export function casesFor(
  load: LoadName,
  settings: Settings,
  pin: Pinning,
  workers: WorkersPlan,
): Case[] {
  const timed = {
    generator: "loadgen" as const,
    durationSeconds: settings.durationSeconds,
    warmupSeconds: settings.warmupSeconds,
    cpus: pin.generators.length === 0 ? [undefined] : pin.generators,
  };
  const split = (total: number) => perGenerator(total, pin);
  const rr: LoadSpec = { ...timed, mode: "rr", connections: split(100), depth: 1 };
  const pipelined: LoadSpec = { ...timed, mode: "rr", connections: split(100), depth: 16 };
  /** rr from one generator process: what one process drives is the question. */
  const oneProcess: LoadSpec = { ...rr, connections: 100, cpus: [timed.cpus[0]] };
  const c = (name: string, extra: Partial<ServerSpec> = {}): ServerSpec => ({
    name,
    kind: "c",
    cpus: pin.server,
    ...extra,
  });
  const naive = (name: string): ServerSpec => ({ name, kind: "naive", cpus: pin.server });
  const node = (name: string, extra: Partial<ServerSpec> = {}): ServerSpec => ({
    name,
    kind: "node",
    cpus: pin.server,
    logLevel: "warn",
    ...extra,
  });
  /** The same traffic against the C reference, the naive peer and timeserver. */
  const threeWay = (workload: string, traffic: LoadSpec, nodeExtra: Partial<ServerSpec> = {}) =>
    [
      { load, workload, variant: "C", role: "reference", server: c(`c-${workload}`), traffic },
      {
        load,
        workload,
        variant: "naive Node",
        role: "peer",
        server: naive(`naive-${workload}`),
        traffic,
      },
      {
        load,
        workload,
        variant: "timeserver",
        role: "subject",
        server: node(`node-${workload}`, nodeExtra),
        traffic,
      },
    ] satisfies Case[];
  switch (load) {
    case "rr":
      return threeWay("rr", rr);
    case "pipelined":
      return threeWay("pipelined", pipelined);
    case "churn":
      return threeWay("churn", { ...timed, mode: "churn", connections: split(50) });
    case "hold": {
      const hold: LoadSpec = {
        ...timed,
        mode: "hold",
        connections: split(settings.holdConnections),
        holdSeconds: settings.holdSeconds,
      };
      const maxConnections = String(Math.max(20_000, settings.holdConnections + 1000));
      return threeWay("hold", hold, { extraArgs: ["--max-connections", maxConnections] });
    }
    case "udp": {
      const cases: Case[] = [];
      for (const service of ["ntp", "rfc868", "daytime"] as const) {
        const workload = service === "ntp" ? "udp-sntp" : (`udp-${service}` as const);
        const traffic: LoadSpec = {
          ...timed,
          mode: workload,
          connections: split(4),
          depth: 16,
          service,
        };
        const udp = { udp: true, ready: "udp" as const };
        cases.push(
          {
            load,
            workload,
            variant: "C",
            role: "reference",
            server: c(`c-${workload}`, { kind: "c-udp", ...udp }),
            traffic,
          },
          {
            load,
            workload,
            variant: "naive Node",
            role: "peer",
            server: { name: `naive-${workload}`, kind: "naive-udp", cpus: pin.server, ...udp },
            traffic,
          },
          {
            load,
            workload,
            variant: "C --mmsg",
            role: "context",
            server: c(`c-mmsg-${workload}`, { kind: "c-udp", extraArgs: ["--mmsg"], ...udp }),
            traffic,
          },
          {
            load,
            workload,
            variant: "timeserver",
            role: "subject",
            server: node(`node-${workload}`, { udp: true }),
            traffic,
          },
        );
      }
      return cases;
    }
    case "logging":
      return [
        {
          load,
          workload: "rr",
          variant: "timeserver warn",
          role: "reference",
          server: node("node-warn"),
          traffic: rr,
        },
        {
          load,
          workload: "rr",
          variant: "timeserver info",
          role: "subject",
          server: node("node-info", { logLevel: "info" }),
          traffic: rr,
        },
      ];
    case "timebench":
      return [
        {
          load,
          workload: "rr",
          variant: "loadgen → C",
          role: "reference",
          server: c("c-timebench-loadgen"),
          traffic: oneProcess,
        },
        {
          load,
          workload: "rr",
          variant: "timebench → C",
          role: "subject",
          server: c("c-timebench"),
          traffic: { ...oneProcess, generator: "timebench" },
        },
      ];
    case "corun":
      // Pairs of servers run at once: see corun.ts.
      return [];
    case "workers": {
      const cases: Case[] = [];
      for (const n of workers.counts) {
        const serverCpus = coreList(0, n).join(",");
        const traffic: LoadSpec = { ...rr, connections: 100, cpus: coreList(n, n) };
        cases.push(
          {
            load,
            workload: "rr",
            variant: `C ${n} thread${n === 1 ? "" : "s"}`,
            role: "reference",
            workers: n,
            server: c(`c-threads${n}`, { cpus: serverCpus, threads: n }),
            traffic,
          },
          {
            load,
            workload: "rr",
            variant: `timeserver ${n} worker${n === 1 ? "" : "s"}`,
            role: "subject",
            workers: n,
            server: node(`node-workers${n}`, {
              cpus: serverCpus,
              extraArgs: ["--workers", String(n)],
              probes: 4 * n,
            }),
            traffic,
          },
        );
      }
      return cases;
    }
  }
}
