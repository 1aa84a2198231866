/**
 * One load against one running server: `timebench ... --json` as a child
 * process (pinned to its own core when there is taskset), while the runner
 * samples, from outside, the CPU use of the server and of the load generator
 * and, for hold, the server's memory and descriptors.
 */

import { type ChildProcess, spawn } from "node:child_process";
import type { BenchResult } from "../../src/bench/bench-options.js";
import { LOOPBACK, type RunningServer } from "./servers.js";
import {
  CLOCK_TICKS,
  fdCount,
  groupCpuSeconds,
  processCpuSeconds,
  readCpuTimes,
  rssKb,
  sleep,
} from "./system.js";

/** What `timebench --json` prints. */
export type TimebenchResult = BenchResult;

export interface LoadSpec {
  mode: "rr" | "churn" | "hold";
  connections: number;
  pipeline?: number;
  durationSeconds: number;
  warmupSeconds: number;
  holdSeconds?: number;
  /** taskset CPU list for the load generator; undefined = not pinned. */
  cpus: string | undefined;
}

export interface HoldMemory {
  /** VmRSS of the idle fresh server before the load, KiB. */
  beforeKb: number;
  /** VmRSS sampled at the midpoint of the hold phase, KiB (undefined if never reached). */
  midHoldKb: number | undefined;
  /** Largest VmRSS seen while the load ran (includes the TIME round), KiB. */
  maxKb: number;
  /** Server descriptors open above its idle count at the midpoint sample. */
  midHoldConnections: number | undefined;
  /** Seconds from the load's start until the server held every connection. */
  allAcceptedAfterSeconds: number | undefined;
}

export interface LoadOutcome {
  result: TimebenchResult | undefined;
  error: string | undefined;
  /** Wall seconds of the whole timebench process. */
  wallSeconds: number;
  /** CPU use, in cores, over the middle of the measured window (see CpuFigures). */
  cpu: CpuFigures | undefined;
  hold: HoldMemory | undefined;
  command: string[];
}

export interface LoadPaths {
  timebench: string;
  taskset: string | undefined;
}

const liveGenerators = new Set<ChildProcess>();
/** Time for node to start and connect before timebench's warmup begins. */
const STARTUP_ALLOWANCE_S = 0.4;
const HOLD_POLL_MS = 100;

export function killAllGenerators(): void {
  for (const child of liveGenerators) child.kill("SIGKILL");
}

export function loadCommand(load: LoadSpec, port: number, paths: LoadPaths): string[] {
  const inner = [
    process.execPath,
    paths.timebench,
    "--host",
    LOOPBACK,
    "--port",
    String(port),
    "--mode",
    load.mode,
    "--connections",
    String(load.connections),
    ...(load.mode === "hold"
      ? ["--hold-seconds", String(load.holdSeconds ?? 5)]
      : [
          "--duration",
          String(load.durationSeconds),
          "--warmup",
          String(load.warmupSeconds),
          ...(load.mode === "rr" ? ["--pipeline", String(load.pipeline ?? 1)] : []),
        ]),
    "--json",
  ];
  return load.cpus !== undefined && paths.taskset !== undefined
    ? [paths.taskset, "-c", load.cpus, ...inner]
    : inner;
}

export async function runLoad(
  load: LoadSpec,
  server: RunningServer,
  paths: LoadPaths,
): Promise<LoadOutcome> {
  const command = loadCommand(load, server.port, paths);
  const holdWatch = load.mode === "hold" ? await startHoldWatch(server, load) : undefined;
  const began = performance.now();
  const child = spawn(command[0] as string, command.slice(1), {
    stdio: ["ignore", "pipe", "pipe"],
  });
  liveGenerators.add(child);
  let stdout = "";
  let stderr = "";
  child.stdout?.setEncoding("utf8").on("data", (text: string) => {
    stdout += text;
  });
  child.stderr?.setEncoding("utf8").on("data", (text: string) => {
    stderr += text;
  });
  const exited = new Promise<{ code: number | null; signal: string | null; spawnError?: Error }>(
    (resolve) => {
      child.once("error", (error) => resolve({ code: null, signal: null, spawnError: error }));
      child.once("close", (code, signal) => resolve({ code, signal }));
    },
  );
  // A run that takes far longer than planned is stuck: end it.
  const limitS =
    load.mode === "hold"
      ? (load.holdSeconds ?? 5) + 90
      : load.durationSeconds + load.warmupSeconds + 60;
  const killer = setTimeout(() => child.kill("SIGKILL"), limitS * 1000);
  const cpu = load.mode === "hold" ? undefined : sampleCpu(load, server, child, exited);

  const exit = await exited;
  clearTimeout(killer);
  liveGenerators.delete(child);
  const wallSeconds = (performance.now() - began) / 1000;
  const hold = holdWatch?.stop();
  const cpuFigures = await cpu;

  let result: TimebenchResult | undefined;
  let error: string | undefined;
  const lastLine = stdout.trim().split("\n").pop() ?? "";
  if (exit.spawnError !== undefined) {
    error = `could not start timebench: ${exit.spawnError.message}`;
  } else if (exit.code !== 0) {
    error = `timebench exited with ${exit.code ?? exit.signal}: ${stderr.trim().split("\n").slice(-3).join(" | ") || "(no output)"}`;
  } else {
    try {
      result = JSON.parse(lastLine) as TimebenchResult;
    } catch {
      error = `timebench printed no JSON: ${JSON.stringify(lastLine.slice(0, 200))}`;
    }
  }
  return {
    result,
    error,
    wallSeconds,
    cpu: cpuFigures,
    hold,
    command,
  };
}

/**
 * CPU use between two samples inside the measured window (after startup and
 * warmup, before the end), in cores: 1.0 = one core busy all the time.
 */
export interface CpuFigures {
  /** The server's process group (user + system time of its processes). */
  server: number;
  /** The timebench process. */
  generator: number | undefined;
  /** Busy share of each core (from /proc/stat), by core number. */
  coreBusy: number[];
  /** Interrupts and softirqs, all cores (loopback TCP is largely processed there). */
  irq: number;
  /**
   * Everything else that ran: all busy time minus server, generator and
   * interrupts. Above a few percent, other processes competed for the cores.
   */
  other: number;
}

async function sampleCpu(
  load: LoadSpec,
  server: RunningServer,
  child: ChildProcess,
  exited: Promise<unknown>,
): Promise<CpuFigures | undefined> {
  const pid = child.pid;
  if (pid === undefined) return undefined;
  let finished = false;
  void exited.then(() => {
    finished = true;
  });
  const startDelay = STARTUP_ALLOWANCE_S + load.warmupSeconds + 0.2;
  const window = Math.max(0.3, load.durationSeconds - 0.6);
  await sleep(startDelay * 1000);
  if (finished) return undefined;
  const sample = () => ({
    at: performance.now(),
    server: groupCpuSeconds(server.pid),
    generator: processCpuSeconds(pid),
    times: readCpuTimes(),
  });
  const first = sample();
  await sleep(window * 1000);
  if (finished) return undefined;
  const last = sample();
  const [server1, server2] = [first.server, last.server];
  const [gen1, gen2] = [first.generator, last.generator];
  const [times1, times2] = [first.times, last.times];
  const seconds = (last.at - first.at) / 1000;
  const cores = (ticks: number) => ticks / CLOCK_TICKS / seconds;
  const serverCores = (server2 - server1) / seconds;
  const generatorCores =
    gen1 !== undefined && gen2 !== undefined ? (gen2 - gen1) / seconds : undefined;
  const irq = cores(times2.irq - times1.irq);
  return {
    server: serverCores,
    generator: generatorCores,
    coreBusy: times2.coreBusy.map((busy, core) => cores(busy - (times1.coreBusy[core] ?? busy))),
    irq,
    other: Math.max(
      0,
      cores(times2.busy - times1.busy) - serverCores - (generatorCores ?? 0) - irq,
    ),
  };
}

/**
 * Memory of the server while the hold load runs. "Before" is the idle fresh
 * server; the hold figure is one sample at the midpoint of the hold phase,
 * which starts when the server's open descriptors show every connection
 * accepted; the largest RSS seen is kept too.
 */
async function startHoldWatch(
  server: RunningServer,
  load: LoadSpec,
): Promise<{ stop: () => HoldMemory }> {
  await sleep(500); // let the fresh server settle after the readiness probe
  const beforeKb = rssKb(server.pid) ?? 0;
  const baseFds = fdCount(server.pid) ?? 0;
  const began = performance.now();
  const holdMs = (load.holdSeconds ?? 5) * 1000;
  let maxKb = beforeKb;
  let allAcceptedAt: number | undefined;
  let midHoldKb: number | undefined;
  let midHoldConnections: number | undefined;
  const timer = setInterval(() => {
    const now = performance.now();
    const rss = rssKb(server.pid);
    if (rss !== undefined) maxKb = Math.max(maxKb, rss);
    if (allAcceptedAt === undefined) {
      const fds = fdCount(server.pid);
      if (fds !== undefined && fds - baseFds >= load.connections) allAcceptedAt = now;
    } else if (midHoldKb === undefined && now - allAcceptedAt >= holdMs / 2) {
      midHoldKb = rss;
      const fds = fdCount(server.pid);
      midHoldConnections = fds === undefined ? undefined : fds - baseFds;
    }
  }, HOLD_POLL_MS);
  return {
    stop: () => {
      clearInterval(timer);
      return {
        beforeKb,
        midHoldKb,
        maxKb,
        midHoldConnections,
        allAcceptedAfterSeconds:
          allAcceptedAt === undefined ? undefined : (allAcceptedAt - began) / 1000,
      };
    },
  };
}
