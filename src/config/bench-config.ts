/**
 * Everything `timebench` can be told, validated into BenchOptions before any
 * connection is made. Host and port may also come from the environment, so a
 * script can point every run at one server.
 */

import {
  BENCH_DEFAULTS,
  BENCH_MODES,
  type BenchMode,
  type BenchOptions,
  MAX_PIPELINE,
} from "../bench/bench-options.js";
import { TimeServerError } from "../errors.js";
import {
  type OptionSpec,
  optionValue,
  type ProgramCommand,
  parseCommandLine,
  STANDARD_OPTIONS,
  standardCommand,
} from "./command-line.js";
import { parseChoice, parseHost, parseInteger, parsePort, parseSeconds } from "./option-values.js";
import { formatHelp, type ProgramHelp } from "./program-help.js";

export type BenchOutput = "text" | "quiet" | "json";

/** A run: the load to apply and how to report it. */
export interface BenchRun {
  options: BenchOptions;
  output: BenchOutput;
}

export type BenchCommand = ProgramCommand<BenchRun>;

/** One process cannot hold more sockets than its descriptor limit anyway. */
const MAX_CONNECTIONS = 1_000_000;
const DAY_SECONDS = 86_400;

export const BENCH_OPTIONS: readonly OptionSpec[] = [
  {
    name: "host",
    env: "TIMEBENCH_HOST",
    value: "<addr>",
    description: "server address or name",
    defaultText: BENCH_DEFAULTS.host,
  },
  {
    name: "port",
    short: "p",
    env: "TIMEBENCH_PORT",
    value: "<port>",
    description: "server port",
    defaultText: String(BENCH_DEFAULTS.port),
  },
  {
    name: "mode",
    value: "<mode>",
    description: "rr, churn or hold (see Modes)",
    defaultText: BENCH_DEFAULTS.mode,
  },
  {
    name: "connections",
    short: "c",
    value: "<n>",
    description: "connections (churn: session loops running at once)",
    defaultText: String(BENCH_DEFAULTS.connections),
  },
  {
    name: "duration",
    short: "d",
    value: "<seconds>",
    description: "rr, churn: seconds to measure",
    defaultText: String(BENCH_DEFAULTS.durationSeconds),
  },
  {
    name: "requests",
    short: "n",
    value: "<n>",
    description: "rr: replies to measure, churn: sessions; instead of --duration",
  },
  {
    name: "pipeline",
    short: "P",
    value: "<k>",
    description: "rr: requests in flight on each connection",
    defaultText: String(BENCH_DEFAULTS.pipeline),
  },
  {
    name: "hold-seconds",
    value: "<seconds>",
    description: "hold: how long the connections stay idle",
    defaultText: String(BENCH_DEFAULTS.holdSeconds),
  },
  {
    name: "warmup",
    value: "<seconds>",
    description: "rr, churn: load before measuring starts, not counted",
    defaultText: String(BENCH_DEFAULTS.warmupSeconds),
  },
  { name: "json", type: "boolean", description: "print the result as one JSON object" },
  { name: "quiet", short: "q", type: "boolean", description: "print only the rate and median" },
  ...STANDARD_OPTIONS,
];

export const BENCH_HELP: ProgramHelp = {
  name: "timebench",
  usage: "timebench [options]",
  summary:
    "Load generator for the time server: drives TIME requests and checks every reply byte for byte.",
  options: BENCH_OPTIONS,
  notes: [
    {
      title: "Modes",
      text:
        "  rr     TIME requests on persistent connections, --pipeline in flight on each\n" +
        "  churn  sessions back to back: connect, TIME, QUIT, wait for the close\n" +
        "  hold   open the connections, keep them idle --hold-seconds, then ask each once",
    },
    {
      title: "Output",
      text: "Prints a summary at the end (Ctrl-C ends the run early and still prints it).",
    },
    {
      title: "Exit status",
      text: "0 when the run finished, 1 when the server cannot be reached, 2 for bad options.",
    },
  ],
  examples: [
    {
      command: "timebench -c 100 -d 10",
      what: "100 connections, one request in flight each, 10 s",
    },
    {
      command: "timebench -c 100 -P 16 -q",
      what: "16 requests in flight per connection, one line out",
    },
    { command: "timebench --mode churn -c 50 --json", what: "short sessions, the figures as JSON" },
    {
      command: "timebench --mode hold -c 15000 --hold-seconds 30",
      what: "hold 15,000 idle connections, then check each still answers",
    },
  ],
};

export function benchHelp(columns?: number): string {
  return formatHelp(BENCH_HELP, columns);
}

export function parseBenchCommand(argv: readonly string[], env: NodeJS.ProcessEnv): BenchCommand {
  const parsed = parseCommandLine(BENCH_OPTIONS, argv, env);
  const standard = standardCommand(parsed, benchHelp);
  if (standard !== undefined) return standard;

  const mode = optionValue<BenchMode>(parsed, "mode", BENCH_DEFAULTS.mode, (source, raw) =>
    parseChoice(source, raw, BENCH_MODES),
  );
  if (parsed.values.has("duration") && parsed.values.has("requests")) {
    throw new TimeServerError("TS_ERR_CONFIG", "give --duration or --requests, not both");
  }
  if (mode === "hold" && parsed.values.has("requests")) {
    throw new TimeServerError(
      "TS_ERR_CONFIG",
      "--requests does not apply to --mode hold, which asks each connection once",
    );
  }
  if (parsed.values.has("json") && parsed.values.has("quiet")) {
    throw new TimeServerError("TS_ERR_CONFIG", "give --json or --quiet, not both");
  }
  const options: BenchOptions = {
    host: optionValue(parsed, "host", BENCH_DEFAULTS.host, parseHost),
    port: optionValue(parsed, "port", BENCH_DEFAULTS.port, (source, raw) =>
      parsePort(source, raw, 1),
    ),
    mode,
    connections: optionValue(parsed, "connections", BENCH_DEFAULTS.connections, (source, raw) =>
      parseInteger(source, raw, 1, MAX_CONNECTIONS),
    ),
    durationSeconds: optionValue(
      parsed,
      "duration",
      BENCH_DEFAULTS.durationSeconds,
      (source, raw) => parseSeconds(source, raw, 0.1, DAY_SECONDS),
    ),
    requests: optionValue<number | undefined>(parsed, "requests", undefined, (source, raw) =>
      parseInteger(source, raw, 1, Number.MAX_SAFE_INTEGER),
    ),
    pipeline: optionValue(parsed, "pipeline", BENCH_DEFAULTS.pipeline, (source, raw) =>
      parseInteger(source, raw, 1, MAX_PIPELINE),
    ),
    holdSeconds: optionValue(parsed, "hold-seconds", BENCH_DEFAULTS.holdSeconds, (source, raw) =>
      parseSeconds(source, raw, 0, DAY_SECONDS),
    ),
    warmupSeconds: optionValue(parsed, "warmup", BENCH_DEFAULTS.warmupSeconds, (source, raw) =>
      parseSeconds(source, raw, 0, DAY_SECONDS),
    ),
  };
  const output: BenchOutput = parsed.values.has("json")
    ? "json"
    : parsed.values.has("quiet")
      ? "quiet"
      : "text";
  return { kind: "run", config: { options, output } };
}
