/**
 * The programmatic entry: check the server answers at all, run one load mode,
 * and turn its tally into a BenchResult. `timebench` is a thin shell around
 * this; a script can call it in-process the same way.
 */

import { performance } from "node:perf_hooks";
import { TimeServerError } from "../errors.js";
import {
  BENCH_DEFAULTS,
  BENCH_MODES,
  type BenchOptions,
  type BenchProgress,
  type BenchResult,
  MAX_PIPELINE,
} from "./bench-options.js";
import { runChurnLoad } from "./churn-load.js";
import { runHoldLoad } from "./hold-load.js";
import { LoadCounters } from "./load-counters.js";
import { probeServer } from "./probe-server.js";
import { runRrLoad } from "./rr-load.js";

export type {
  BenchMode,
  BenchOptions,
  BenchProgress,
  BenchResult,
  LatencyMs,
} from "./bench-options.js";

const PROGRESS_INTERVAL_MS = 1000;

function invalid(message: string): TimeServerError {
  return new TimeServerError("TS_ERR_CONFIG", message);
}

/** Fill in defaults and reject what no run could do (the CLI has already said why, in its terms). */
export function resolveBenchOptions(given: Partial<BenchOptions>): BenchOptions {
  const options: BenchOptions = { ...BENCH_DEFAULTS };
  for (const [name, value] of Object.entries(given)) {
    if (value !== undefined) (options as unknown as Record<string, unknown>)[name] = value;
  }
  const wholeNumber = (name: keyof BenchOptions, min: number, max = Number.MAX_SAFE_INTEGER) => {
    const value = options[name];
    if (!Number.isSafeInteger(value) || (value as number) < min || (value as number) > max) {
      throw invalid(`${name} must be a whole number from ${min} to ${max}`);
    }
  };
  if (!BENCH_MODES.includes(options.mode))
    throw invalid(`mode must be one of ${BENCH_MODES.join(", ")}`);
  wholeNumber("port", 1, 65535);
  wholeNumber("connections", 1);
  wholeNumber("pipeline", 1, MAX_PIPELINE);
  if (options.requests !== undefined) wholeNumber("requests", 1);
  for (const name of ["durationSeconds", "holdSeconds", "warmupSeconds"] as const) {
    if (!(options[name] >= 0) || !Number.isFinite(options[name])) {
      throw invalid(`${name} must be a number of seconds`);
    }
  }
  if (options.requests === undefined && options.durationSeconds <= 0 && options.mode !== "hold") {
    throw invalid("durationSeconds must be above 0");
  }
  return options;
}

export async function runBenchmark(given: Partial<BenchOptions> = {}): Promise<BenchResult> {
  const options = resolveBenchOptions(given);
  await probeServer(options.host, options.port);
  const counters = new LoadCounters(options.mode === "hold" ? undefined : options.requests);
  const stopProgress = reportProgress(options, counters);
  try {
    const base = {
      mode: options.mode,
      host: options.host,
      port: options.port,
      connections: options.connections,
      pipeline: options.mode === "rr" ? options.pipeline : 1,
    };
    if (options.mode === "hold") {
      const outcome = await runHoldLoad(options, counters);
      return {
        ...base,
        durationSeconds: round(outcome.seconds, 3),
        requests: outcome.replies,
        requestsPerSecond: perSecond(outcome.replies, outcome.seconds),
        latencyMs: counters.latency.summaryMs(),
        badReplies: counters.badReplies,
        errors: counters.errors,
        held: outcome.held,
        answered: outcome.answered,
        failed: options.connections - outcome.answered,
      };
    }
    const seconds = await (options.mode === "rr" ? runRrLoad : runChurnLoad)(options, counters);
    const figures =
      options.mode === "rr"
        ? {
            requests: counters.completed,
            requestsPerSecond: perSecond(counters.completed, seconds),
          }
        : {
            sessions: counters.completed,
            sessionsPerSecond: perSecond(counters.completed, seconds),
          };
    return {
      ...base,
      durationSeconds: round(seconds, 3),
      ...figures,
      latencyMs: counters.latency.summaryMs(),
      badReplies: counters.badReplies,
      errors: counters.errors,
    };
  } finally {
    stopProgress();
  }
}

/** Call `onProgress` once a second from a timer; returns the function that stops it. */
function reportProgress(options: BenchOptions, counters: LoadCounters): () => void {
  const { onProgress } = options;
  if (onProgress === undefined) return () => {};
  let lastSeen = 0;
  let lastAt = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    const progress: BenchProgress = {
      mode: options.mode,
      phase: counters.phase,
      completed: counters.seen,
      perSecond: ((counters.seen - lastSeen) * 1000) / (now - lastAt),
      p50Ms: counters.latency.percentileMs(50),
      open: counters.open,
      badReplies: counters.badReplies,
      errors: counters.errors,
    };
    lastSeen = counters.seen;
    lastAt = now;
    onProgress(progress);
  }, PROGRESS_INTERVAL_MS);
  return () => clearInterval(timer);
}

function perSecond(count: number, seconds: number): number {
  return seconds > 0 ? round(count / seconds, 1) : 0;
}

function round(value: number, decimals: number): number {
  const scale = 10 ** decimals;
  return Math.round(value * scale) / scale;
}
