/**
 * What `npm run bench` runs: the loads, their server variants, their targets,
 * and the settings from the environment and the command line.
 */

import type { LoadSpec } from "./loadgen.js";
import type { ServerSpec } from "./servers.js";

export const LOAD_NAMES = ["rr", "pipelined", "churn", "hold", "logging", "workers"] as const;
export type LoadName = (typeof LOAD_NAMES)[number];

export const LOAD_DESCRIPTIONS: Record<LoadName, string> = {
  rr: "closed loop, 100 connections, pipeline 1",
  pipelined: "100 connections, pipeline 16",
  churn: "50 loops of connect, TIME, QUIT, close",
  hold: "idle connections on a fresh server, then one TIME each",
  logging: "Node rr (100 connections, pipeline 1), --log-level info to a file vs warn",
  workers: "Node --workers 1 and 2, rr and pipelined, server on cores 0,1, generator unpinned",
};

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

Runs the loads against the Node server and the C reference server and writes
bench/results/latest.md and bench/results/latest.json. Loads (default: all):
${LOAD_NAMES.map((name) => `  ${name.padEnd(10)} ${LOAD_DESCRIPTIONS[name]}`).join("\n")}

Environment:
  BENCH_DURATION          measured seconds per run (default 5)
  BENCH_WARMUP            warmup seconds per run, not measured (default 1)
  BENCH_HOLD_SECONDS      hold: seconds the connections stay idle (default 5)
  BENCH_HOLD_CONNECTIONS  hold: connections (default 15000)
  BENCH_REPEAT            runs of each variant, interleaved; median reported (default 1)
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
      holdSeconds: envNumber(env, "BENCH_HOLD_SECONDS", 5, 0.5),
      holdConnections: envNumber(env, "BENCH_HOLD_CONNECTIONS", 15_000, 1, true),
      repeat: envNumber(env, "BENCH_REPEAT", 1, 1, true),
      // Keep the documented order whatever order they were given in.
      loads: argv.length === 0 ? [...LOAD_NAMES] : LOAD_NAMES.filter((name) => argv.includes(name)),
    };
    return { kind: "run", settings };
  } catch (error) {
    return { kind: "error", message: (error as Error).message };
  }
}

/** One server variant under one load. */
export interface Case {
  load: LoadName;
  /** The load shape: rr, pipelined, churn or hold. */
  workload: string;
  /** Which server: "C", "Node", "Node info", "Node 2 workers"... */
  variant: string;
  server: ServerSpec;
  traffic: LoadSpec;
  /** Worker count, for the workers load. */
  workers?: number;
}

export interface Pinning {
  server: string | undefined;
  generator: string | undefined;
}

/** The cases of one load, in the order they run (C before Node). */
export function casesFor(
  load: LoadName,
  settings: Settings,
  pin: Pinning,
  workersAvailable: boolean,
): Case[] {
  const timed = {
    durationSeconds: settings.durationSeconds,
    warmupSeconds: settings.warmupSeconds,
    cpus: pin.generator,
  };
  const rr: LoadSpec = { ...timed, mode: "rr", connections: 100, pipeline: 1 };
  const pipelined: LoadSpec = { ...timed, mode: "rr", connections: 100, pipeline: 16 };
  const c = (name: string): ServerSpec => ({ name, kind: "c", cpus: pin.server });
  const node = (name: string, extra: Partial<ServerSpec> = {}): ServerSpec => ({
    name,
    kind: "node",
    cpus: pin.server,
    logLevel: "warn",
    ...extra,
  });
  /** The same traffic against the C reference, then against Node. */
  const sideBySide = (
    workload: Case["workload"],
    traffic: LoadSpec,
    nodeExtra: Partial<ServerSpec> = {},
  ): Case[] => [
    { load, workload, variant: "C", server: c(`c-${workload}`), traffic },
    { load, workload, variant: "Node", server: node(`node-${workload}`, nodeExtra), traffic },
  ];
  switch (load) {
    case "rr":
      return sideBySide("rr", rr);
    case "pipelined":
      return sideBySide("pipelined", pipelined);
    case "churn":
      return sideBySide("churn", { ...timed, mode: "churn", connections: 50 });
    case "hold": {
      const hold: LoadSpec = {
        ...timed,
        mode: "hold",
        connections: settings.holdConnections,
        holdSeconds: settings.holdSeconds,
      };
      const maxConnections = String(Math.max(20_000, settings.holdConnections + 1000));
      return sideBySide("hold", hold, { extraArgs: ["--max-connections", maxConnections] });
    }
    case "logging":
      return [
        { load, workload: "rr", variant: "Node warn", server: node("node-warn"), traffic: rr },
        {
          load,
          workload: "rr",
          variant: "Node info",
          server: node("node-info", { logLevel: "info" }),
          traffic: rr,
        },
      ];
    case "workers": {
      if (!workersAvailable) return [];
      // Two cores only: the server may use both, the generator is unpinned and shares them.
      const serverCpus = pin.server === undefined ? undefined : "0,1";
      const cases: Case[] = [];
      for (const [workload, spec] of [
        ["rr", rr],
        ["pipelined", pipelined],
      ] as const) {
        for (const workers of [1, 2]) {
          cases.push({
            load,
            workload,
            variant: `Node ${workers} worker${workers === 1 ? "" : "s"}`,
            workers,
            server: node(`node-workers${workers}-${workload}`, {
              cpus: serverCpus,
              extraArgs: ["--workers", String(workers)],
              probes: 4 * workers,
            }),
            traffic: { ...spec, cpus: undefined },
          });
        }
      }
      return cases;
    }
  }
}
