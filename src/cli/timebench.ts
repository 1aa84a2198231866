#!/usr/bin/env node
/**
 * `timebench`: flags → options → runBenchmark → report. The live progress
 * line is drawn only on a terminal, so piped output stays a clean summary.
 */

import { formatJson, formatProgress, formatQuiet, formatSummary } from "../bench/bench-report.js";
import { runBenchmark } from "../bench/run-benchmark.js";
import { parseBenchCommand } from "../config/bench-config.js";
import { runProgram } from "./run-cli.js";

/** Back to the start of the line and clear it: the progress line is redrawn in place. */
const REWRITE_LINE = "\r\x1b[K";

runProgram("timebench", parseBenchCommand, async ({ options, output }) => {
  const live = process.stdout.isTTY === true && output === "text";
  // The first Ctrl-C ends the run and still reports it; a second one kills as usual.
  const stop = new AbortController();
  process.once("SIGINT", () => stop.abort());

  const result = await runBenchmark({
    ...options,
    signal: stop.signal,
    ...(live
      ? {
          onProgress: (progress) =>
            process.stdout.write(REWRITE_LINE + formatProgress(progress, options.connections)),
        }
      : {}),
  });
  if (live) process.stdout.write(REWRITE_LINE);
  const report =
    output === "json"
      ? formatJson(result)
      : output === "quiet"
        ? formatQuiet(result)
        : formatSummary(result);
  process.stdout.write(report);
});
