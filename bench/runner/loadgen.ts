/**
 * One load against one running server: the C load generator (or, for its
 * own row, timebench) as child processes, each pinned to a core of its own
 * when there is taskset, while the runner samples, from outside, the CPU use
 * of the server, of the generators and of every core, and, for hold, the
 * server's memory and descriptors.
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

export type LoadMode = "rr" | "churn" | "hold" | "udp-sntp" | "udp-rfc868" | "udp-daytime";

export interface LoadSpec {
  generator: "loadgen" | "timebench";
  mode: LoadMode;
  /** TCP connections, or UDP sockets. */
  connections: number;
  /** Requests in flight per connection / socket. */
  depth?: number;
  durationSeconds: number;
  warmupSeconds: number;
  holdSeconds?: number;
  /** UDP: which of the server's services to drive. */
  service?: "ntp" | "rfc868" | "daytime";
  /** One generator process per entry, pinned to that taskset CPU list (undefined = unpinned). */
  cpus: (string | undefined)[];
}

/** What one run measured, the same whichever generator(s) measured it. */
export interface LoadResult {
  /** Requests answered (churn: sessions completed) in the measured window, all generators. */
  requests: number;
  /** requests / measured seconds, added up over the generators. */
  rate: number;
  seconds: number;
  /** Latency in ms; with several generators, the worst of their percentiles. */
  latencyMs: { p50: number; p99: number; p999: number; max: number };
  badReplies: number;
  errors: number;
  /** UDP: datagrams that got no reply within the timeout. */
  lost: number;
  held?: number;
  answered?: number;
  failed?: number;
  /** CPU seconds the generators report for the measured window (user + system). */
  generatorCpuSeconds?: number;
}

/** The JSON line bench/c-loadgen/loadgen prints. */
interface LoadgenOutput {
  requests: number;
  rps: number;
  seconds: number;
  p50_us: number;
  p99_us: number;
  p999_us: number;
  max_us: number;
  bad: number;
  errors: number;
  lost: number;
  held?: number;
  answered?: number;
  failed?: number;
  cpu_user_s: number;
  cpu_sys_s: number;
}

export interface HoldMemory {
  /** VmRSS of the idle fresh server before the load, KiB. */
  beforeKb: number;
  /**
   * VmRSS just after the burst of connects: sampled BURST_SAMPLE_S after every
   * connection was accepted (or at the midpoint of a shorter hold), KiB
   * (undefined if never reached).
   */
  midHoldKb: number | undefined;
  /**
   * VmRSS at the end of the hold phase, KiB: what the idle connections cost
   * once the burst is over (V8's memory reducer, when a major collection has
   * started it, gives memory back about 10–20 s later).
   */
  endHoldKb: number | undefined;
  /** Largest VmRSS seen while the load ran (includes the TIME round), KiB. */
  maxKb: number;
  /** False when the server accepted so late that the sample is the last one before the TIME round. */
  sampledAtMidpoint: boolean;
  /** Server descriptors open above its idle count at the midpoint sample. */
  midHoldConnections: number | undefined;
  /** Seconds from the load's start until the server held every connection. */
  allAcceptedAfterSeconds: number | undefined;
}

export interface LoadOutcome {
  result: LoadResult | undefined;
  error: string | undefined;
  /** Wall seconds until the last generator exited. */
  wallSeconds: number;
  /** CPU use, in cores, over the middle of the measured window (see CpuFigures). */
  cpu: CpuFigures | undefined;
  hold: HoldMemory | undefined;
  commands: string[][];
}

export interface LoadPaths {
  loadgen: string;
  timebench: string;
  taskset: string | undefined;
}

const liveGenerators = new Set<ChildProcess>();
/** Time for a generator to start and connect before its warmup begins (node starts slower). */
const STARTUP_ALLOWANCE_S = { loadgen: 0.05, timebench: 0.4 };
const HOLD_POLL_MS = 100;
/** When after the burst of connects the "mid-hold" memory is sampled. */
const BURST_SAMPLE_S = 2.5;

export function killAllGenerators(): void {
  for (const child of liveGenerators) child.kill("SIGKILL");
}

function targetPort(load: LoadSpec, server: RunningServer): number {
  return load.service === undefined ? server.port : server.ports[load.service];
}

export function loadCommand(
  load: LoadSpec,
  port: number,
  paths: LoadPaths,
  cpus: string | undefined,
): string[] {
  const inner =
    load.generator === "loadgen"
      ? [
          paths.loadgen,
          "-h",
          LOOPBACK,
          "-p",
          String(port),
          "-m",
          load.mode,
          "-c",
          String(load.connections),
          "-P",
          String(load.depth ?? 1),
          "-d",
          String(load.durationSeconds),
          "-w",
          String(load.warmupSeconds),
          "-H",
          String(load.holdSeconds ?? 5),
        ]
      : [
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
                ...(load.mode === "rr" ? ["--pipeline", String(load.depth ?? 1)] : []),
              ]),
          "--json",
        ];
  return cpus !== undefined && paths.taskset !== undefined
    ? [paths.taskset, "-c", cpus, ...inner]
    : inner;
}

/** One generator's JSON line, in the common shape. */
export function parseGeneratorOutput(generator: LoadSpec["generator"], line: string): LoadResult {
  if (generator === "loadgen") {
    const out = JSON.parse(line) as LoadgenOutput;
    const ms = (us: number) => us / 1000;
    return {
      requests: out.requests,
      rate: out.rps,
      seconds: out.seconds,
      latencyMs: {
        p50: ms(out.p50_us),
        p99: ms(out.p99_us),
        p999: ms(out.p999_us),
        max: ms(out.max_us),
      },
      badReplies: out.bad,
      errors: out.errors,
      lost: out.lost,
      ...(out.held === undefined ? {} : { held: out.held }),
      ...(out.answered === undefined ? {} : { answered: out.answered }),
      ...(out.failed === undefined ? {} : { failed: out.failed }),
      generatorCpuSeconds: out.cpu_user_s + out.cpu_sys_s,
    };
  }
  const out = JSON.parse(line) as BenchResult;
  return {
    requests: out.requests ?? out.sessions ?? 0,
    rate: out.requestsPerSecond ?? out.sessionsPerSecond ?? 0,
    seconds: out.durationSeconds,
    latencyMs: out.latencyMs,
    badReplies: out.badReplies,
    errors: out.errors,
    lost: 0,
    ...(out.held === undefined ? {} : { held: out.held }),
    ...(out.answered === undefined ? {} : { answered: out.answered }),
    ...(out.failed === undefined ? {} : { failed: out.failed }),
  };
}

/** Several generators' results as one: counts and rates add, latencies take the worst. */
export function combineResults(results: LoadResult[]): LoadResult | undefined {
  const [first, ...rest] = results;
  if (first === undefined) return undefined;
  const add = (a?: number, b?: number) =>
    a === undefined && b === undefined ? undefined : (a ?? 0) + (b ?? 0);
  return rest.reduce<LoadResult>((sum, r) => {
    const held = add(sum.held, r.held);
    const answered = add(sum.answered, r.answered);
    const failed = add(sum.failed, r.failed);
    const cpu = add(sum.generatorCpuSeconds, r.generatorCpuSeconds);
    return {
      requests: sum.requests + r.requests,
      rate: sum.rate + r.rate,
      seconds: Math.max(sum.seconds, r.seconds),
      latencyMs: {
        p50: Math.max(sum.latencyMs.p50, r.latencyMs.p50),
        p99: Math.max(sum.latencyMs.p99, r.latencyMs.p99),
        p999: Math.max(sum.latencyMs.p999, r.latencyMs.p999),
        max: Math.max(sum.latencyMs.max, r.latencyMs.max),
      },
      badReplies: sum.badReplies + r.badReplies,
      errors: sum.errors + r.errors,
      lost: sum.lost + r.lost,
      ...(held === undefined ? {} : { held }),
      ...(answered === undefined ? {} : { answered }),
      ...(failed === undefined ? {} : { failed }),
      ...(cpu === undefined ? {} : { generatorCpuSeconds: cpu }),
    };
  }, first);
}

interface GeneratorRun {
  child: ChildProcess;
  exited: Promise<{ code: number | null; signal: string | null; spawnError?: Error }>;
  stdout: () => string;
  stderr: () => string;
}

function spawnGenerator(command: string[]): GeneratorRun {
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
  return { child, exited, stdout: () => stdout, stderr: () => stderr };
}

export async function runLoad(
  load: LoadSpec,
  server: RunningServer,
  paths: LoadPaths,
): Promise<LoadOutcome> {
  const port = targetPort(load, server);
  const commands = load.cpus.map((cpus) => loadCommand(load, port, paths, cpus));
  const holdWatch = load.mode === "hold" ? await startHoldWatch(server, load) : undefined;
  const began = performance.now();
  const runs = commands.map(spawnGenerator);
  const allExited = Promise.all(runs.map((run) => run.exited));
  // A run that takes far longer than planned is stuck: end it.
  const limitS =
    load.mode === "hold"
      ? (load.holdSeconds ?? 5) + 90
      : load.durationSeconds + load.warmupSeconds + 60;
  const killer = setTimeout(() => {
    for (const run of runs) run.child.kill("SIGKILL");
  }, limitS * 1000);
  const cpu =
    load.mode === "hold"
      ? undefined
      : sampleCpu(
          load,
          server,
          runs.map((run) => run.child.pid),
          allExited,
        );

  const exits = await allExited;
  clearTimeout(killer);
  for (const run of runs) liveGenerators.delete(run.child);
  const wallSeconds = (performance.now() - began) / 1000;
  const hold = holdWatch?.stop();
  const cpuFigures = await cpu;

  const results: LoadResult[] = [];
  const errors: string[] = [];
  exits.forEach((exit, index) => {
    const run = runs[index] as GeneratorRun;
    const lastLine = run.stdout().trim().split("\n").pop() ?? "";
    if (exit.spawnError !== undefined) {
      errors.push(`could not start ${load.generator}: ${exit.spawnError.message}`);
    } else if (exit.code !== 0) {
      errors.push(
        `${load.generator} exited with ${exit.code ?? exit.signal}: ${run.stderr().trim().split("\n").slice(-3).join(" | ") || "(no output)"}`,
      );
    } else {
      try {
        results.push(parseGeneratorOutput(load.generator, lastLine));
      } catch {
        errors.push(`${load.generator} printed no JSON: ${JSON.stringify(lastLine.slice(0, 200))}`);
      }
    }
  });
  return {
    result: errors.length === 0 ? combineResults(results) : undefined,
    error: errors.length === 0 ? undefined : errors.join("; "),
    wallSeconds,
    cpu: cpuFigures,
    hold,
    commands,
  };
}

/**
 * CPU use between two samples inside the measured window (after startup and
 * warmup, before the end), in cores: 1.0 = one core busy all the time.
 */
export interface CpuFigures {
  /** The server's process group (user + system time of its processes). */
  server: number;
  /** The generator processes, added up. */
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
  pids: (number | undefined)[],
  exited: Promise<unknown>,
): Promise<CpuFigures | undefined> {
  if (pids.some((pid) => pid === undefined)) return undefined;
  let finished = false;
  void exited.then(() => {
    finished = true;
  });
  const startDelay = STARTUP_ALLOWANCE_S[load.generator] + load.warmupSeconds + 0.2;
  const window = Math.max(0.3, load.durationSeconds - 0.6);
  await sleep(startDelay * 1000);
  if (finished) return undefined;
  const sample = () => ({
    at: performance.now(),
    server: groupCpuSeconds(server.pid),
    generator: generatorSeconds(pids as number[]),
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

function generatorSeconds(pids: number[]): number | undefined {
  let total = 0;
  for (const pid of pids) {
    const seconds = processCpuSeconds(pid);
    if (seconds === undefined) return undefined;
    total += seconds;
  }
  return total;
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
  let lateKb: number | undefined;
  let endHoldKb: number | undefined;
  const burstMs = Math.min(BURST_SAMPLE_S * 1000, holdMs / 2);
  const timer = setInterval(() => {
    const now = performance.now();
    const rss = rssKb(server.pid);
    if (rss !== undefined) maxKb = Math.max(maxKb, rss);
    // The last sample before the TIME round that ends the hold.
    if (allAcceptedAt !== undefined && now - allAcceptedAt <= holdMs - 2 * HOLD_POLL_MS) {
      endHoldKb = rss;
    }
    if (allAcceptedAt === undefined) {
      const fds = fdCount(server.pid);
      // 99%: a descriptor the idle server held only briefly (the readiness probe) must not hide the moment.
      if (fds !== undefined && fds - baseFds >= load.connections * 0.99) allAcceptedAt = now;
    } else if (midHoldKb === undefined && now - allAcceptedAt >= burstMs) {
      midHoldKb = rss;
      const fds = fdCount(server.pid);
      midHoldConnections = fds === undefined ? undefined : fds - baseFds;
    } else if (midHoldKb === undefined) {
      // A server slow to accept may reach the TIME round before the midpoint: keep the latest.
      lateKb = rss;
    }
  }, HOLD_POLL_MS);
  return {
    stop: () => {
      clearInterval(timer);
      return {
        beforeKb,
        midHoldKb: midHoldKb ?? lateKb,
        endHoldKb: midHoldKb === undefined ? undefined : endHoldKb,
        sampledAtMidpoint: midHoldKb !== undefined,
        maxKb,
        midHoldConnections,
        allAcceptedAfterSeconds:
          allAcceptedAt === undefined ? undefined : (allAcceptedAt - began) / 1000,
      };
    },
  };
}
