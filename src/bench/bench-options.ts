/**
 * What a benchmark run is told and what it reports, shared by the engine, the
 * report and the `timebench` command line.
 */

export const BENCH_MODES = ["rr", "churn", "hold"] as const;
/**
 * rr: requests on persistent connections (throughput and latency);
 * churn: connect, TIME, QUIT, close, again (session setup cost);
 * hold: many idle connections that must all still answer afterwards.
 */
export type BenchMode = (typeof BENCH_MODES)[number];

export interface BenchOptions {
  host: string;
  port: number;
  mode: BenchMode;
  /** Connections (rr, hold) or concurrent session loops (churn). */
  connections: number;
  /** rr only: TIME requests kept in flight on each connection. */
  pipeline: number;
  /** rr and churn: measured seconds, unless `requests` is set. */
  durationSeconds: number;
  /** rr: replies to measure; churn: sessions to measure. Ends the run instead of the duration. */
  requests: number | undefined;
  /** hold only: how long the connections stay idle before they are asked the time. */
  holdSeconds: number;
  /** rr and churn: seconds of load before measuring starts (0 = none). */
  warmupSeconds: number;
  /** Called about once a second while the run goes on. */
  onProgress?: (progress: BenchProgress) => void;
  /** Aborting ends the run early; the result covers what was measured so far. */
  signal?: AbortSignal;
}

export const BENCH_DEFAULTS = Object.freeze({
  host: "127.0.0.1",
  port: 45000,
  mode: "rr" as BenchMode,
  connections: 50,
  pipeline: 1,
  durationSeconds: 10,
  requests: undefined as number | undefined,
  holdSeconds: 5,
  warmupSeconds: 1,
});

/** Largest --pipeline: a deeper one says nothing more about the server. */
export const MAX_PIPELINE = 1024;

export type BenchPhase = "connecting" | "warmup" | "measuring" | "holding" | "answering";

export interface BenchProgress {
  mode: BenchMode;
  phase: BenchPhase;
  /** Replies (rr, hold) or sessions (churn) counted so far. */
  completed: number;
  /** Of those, per second over the last interval. */
  perSecond: number;
  /** Median latency so far, ms; NaN before the first sample. */
  p50Ms: number;
  /** Connections open now (rr, hold). */
  open: number;
  badReplies: number;
  errors: number;
}

export interface LatencyMs {
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
}

/**
 * The figures of one run. Fields are in the order `--json` prints them;
 * `requests*` belong to rr and hold, `sessions*` to churn, `held`,
 * `answered` and `failed` to hold.
 */
export interface BenchResult {
  mode: BenchMode;
  host: string;
  port: number;
  connections: number;
  pipeline: number;
  /** Measured seconds (hold: from the first TIME sent to the last answer). */
  durationSeconds: number;
  requests?: number;
  requestsPerSecond?: number;
  sessions?: number;
  sessionsPerSecond?: number;
  /** rr, hold: request to reply; churn: connect to close. */
  latencyMs: LatencyMs;
  /** Replies that were not exactly `JAM hh:mm:ss\r\n` (or answered nothing asked). */
  badReplies: number;
  /** Connect failures, resets and closes nobody asked for. */
  errors: number;
  /** hold: connections still open when the hold ended. */
  held?: number;
  /** hold: connections that then answered TIME correctly. */
  answered?: number;
  /** hold: connections that did not (never opened, closed, wrong or no answer). */
  failed?: number;
}
