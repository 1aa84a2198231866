/**
 * What `timebench` prints: the live progress line, the closing summary (one
 * `name: value` per line, like redis-benchmark, easy to grep) and the JSON
 * object for scripts. Formatting only; the figures come from run-benchmark.
 */

import type { BenchProgress, BenchResult, LatencyMs } from "./bench-options.js";

function ms(value: number): string {
  return Number.isFinite(value) ? value.toFixed(3) : "-";
}

function rate(value: number): string {
  return Number.isFinite(value) ? value.toFixed(1) : "-";
}

function latencyLine(latency: LatencyMs): string {
  return `p50 ${ms(latency.p50)}  p90 ${ms(latency.p90)}  p99 ${ms(latency.p99)}  p99.9 ${ms(latency.p999)}  max ${ms(latency.max)}`;
}

/** One line, no newline: the caller rewrites it in place with \r. */
export function formatProgress(progress: BenchProgress, connections: number): string {
  const trouble =
    `errors ${progress.errors}` +
    (progress.badReplies > 0 ? `, bad replies ${progress.badReplies}` : "");
  const p50 = Number.isFinite(progress.p50Ms) ? `${progress.p50Ms.toFixed(2)} ms` : "-";
  if (progress.mode === "hold") {
    switch (progress.phase) {
      case "connecting":
        return `hold: connecting, ${progress.open}/${connections} open, ${trouble}`;
      case "holding":
        return `hold: holding ${progress.open}/${connections} open, ${trouble}`;
      default:
        return `hold: answered ${progress.completed}/${connections}, p50 ${p50}, ${trouble}`;
    }
  }
  if (progress.phase === "connecting") {
    return `${progress.mode}: connecting, ${progress.open}/${connections} open, ${trouble}`;
  }
  const unit = progress.mode === "churn" ? "sessions/s" : "req/s";
  const warmup = progress.phase === "warmup" ? " (warmup)" : "";
  return `${progress.mode}${warmup}: ${Math.round(progress.perSecond)} ${unit}, p50 ${p50}, ${trouble}`;
}

export function formatSummary(result: BenchResult): string {
  const rows: [string, string][] = [
    ["mode", result.mode],
    ["server", `${result.host}:${result.port}`],
    ["connections", String(result.connections)],
  ];
  if (result.mode === "rr") rows.push(["pipeline", String(result.pipeline)]);
  rows.push(["duration", `${result.durationSeconds.toFixed(2)} s`]);
  if (result.mode === "churn") {
    rows.push(["sessions", String(result.sessions)]);
    rows.push(["sessions/s", rate(result.sessionsPerSecond ?? Number.NaN)]);
  } else {
    rows.push(["requests", String(result.requests)]);
    rows.push(["requests/s", rate(result.requestsPerSecond ?? Number.NaN)]);
  }
  rows.push(["latency ms", latencyLine(result.latencyMs)]);
  if (result.mode === "hold") {
    rows.push(["held", String(result.held)]);
    rows.push(["answered", String(result.answered)]);
    rows.push(["failed", String(result.failed)]);
  }
  rows.push(["bad replies", String(result.badReplies)]);
  rows.push(["errors", String(result.errors)]);
  return `${rows.map(([name, value]) => `${`${name}:`.padEnd(14)}${value}`).join("\n")}\n`;
}

/** Exactly one JSON object on one line; unmeasured latencies are null. */
export function formatJson(result: BenchResult): string {
  return `${JSON.stringify(result)}\n`;
}

/** One line, as redis-benchmark -q: the rate and the median, and trouble if any. */
export function formatQuiet(result: BenchResult): string {
  const trouble =
    (result.badReplies > 0 ? `, bad replies ${result.badReplies}` : "") +
    (result.errors > 0 ? `, errors ${result.errors}` : "");
  const p50 = `p50 ${ms(result.latencyMs.p50)} ms`;
  switch (result.mode) {
    case "churn":
      return `churn: ${rate(result.sessionsPerSecond ?? Number.NaN)} sessions/s, ${p50}${trouble}\n`;
    case "hold":
      return `hold: ${result.answered}/${result.connections} answered after the hold, ${p50}${trouble}\n`;
    default:
      return `rr: ${rate(result.requestsPerSecond ?? Number.NaN)} requests/s, ${p50}${trouble}\n`;
  }
}
