/**
 * Everything `timeserver` can be told, from flags or environment variables,
 * validated into one typed object before anything starts.
 */

import { availableParallelism } from "node:os";
import { isKnownTimeZone } from "../clock/time-of-day.js";
import { LOG_FORMATS, type LogFormat } from "../logging/create-logger.js";
import { LOG_LEVELS, type LogLevel } from "../logging/levels.js";
import { DEFAULTS } from "../server/time-server.js";
import {
  formatHelp,
  type OptionSpec,
  optionValue,
  type ProgramCommand,
  parseCommandLine,
  STANDARD_OPTIONS,
  standardCommand,
} from "./command-line.js";
import { configError, parseChoice, parseHost, parseInteger, parsePort } from "./option-values.js";
import { checkSystemTimeZone } from "./system-time-zone.js";

export interface ServerConfig {
  host: string;
  port: number;
  /** IANA zone, or undefined for the system zone. */
  timeZone: string | undefined;
  logLevel: LogLevel;
  logFormat: LogFormat;
  maxConnections: number;
  /** Seconds; 0 = off. */
  idleTimeout: number;
  maxLine: number;
  /** Server processes sharing the port; 1 runs the server in this process, without node:cluster. */
  workers: number;
}

export type ServerCommand = ProgramCommand<ServerConfig>;

export const SERVER_OPTIONS: readonly OptionSpec[] = [
  {
    name: "host",
    env: "TIMESERVER_HOST",
    value: "<addr>",
    description: "address to listen on; :: for IPv6",
    defaultText: DEFAULTS.host,
  },
  {
    name: "port",
    short: "p",
    env: "TIMESERVER_PORT",
    value: "<port>",
    description: "TCP port; 0 picks a free one",
    defaultText: String(DEFAULTS.port),
  },
  {
    name: "tz",
    env: "TIMESERVER_TZ",
    value: "<zone>",
    description: "IANA time zone for replies, e.g. Asia/Jakarta",
    defaultText: "the system zone (honours TZ)",
  },
  {
    name: "log-level",
    env: "TIMESERVER_LOG_LEVEL",
    value: "<level>",
    description: LOG_LEVELS.join(", "),
    defaultText: "info",
  },
  {
    name: "log-format",
    env: "TIMESERVER_LOG_FORMAT",
    value: "<format>",
    description: "text or json (pino)",
    defaultText: "text",
  },
  {
    name: "max-connections",
    env: "TIMESERVER_MAX_CONNECTIONS",
    value: "<n>",
    description: "connections served at once, per worker; more are closed on accept",
    defaultText: String(DEFAULTS.maxConnections),
  },
  {
    name: "idle-timeout",
    env: "TIMESERVER_IDLE_TIMEOUT",
    value: "<seconds>",
    description: "disconnect a client silent this long; 0 = never",
    defaultText: String(DEFAULTS.idleTimeout),
  },
  {
    name: "max-line",
    env: "TIMESERVER_MAX_LINE",
    value: "<bytes>",
    description: "longest request line; longer ones close the connection",
    defaultText: String(DEFAULTS.maxLine),
  },
  {
    name: "workers",
    env: "TIMESERVER_WORKERS",
    value: "<n|auto>",
    description: "server processes sharing the port; auto = one per CPU",
    defaultText: "1",
  },
  ...STANDARD_OPTIONS,
];

const USAGE = "timeserver [options]";
const SUMMARY =
  "A TCP time server. Send TIME\\r\\n to get JAM hh:mm:ss\\r\\n; QUIT\\r\\n closes the connection.";

export function serverHelp(): string {
  return formatHelp(
    USAGE,
    SUMMARY,
    SERVER_OPTIONS,
    "Flags win over environment variables. SIGTERM or SIGINT shuts down gracefully.\n" +
      "With --workers, each worker accepts connections itself; NODE_CLUSTER_SCHED_POLICY=rr\n" +
      "makes the primary accept them and hand them to the workers in turn.",
  );
}

export function parseServerCommand(argv: readonly string[], env: NodeJS.ProcessEnv): ServerCommand {
  const parsed = parseCommandLine(SERVER_OPTIONS, argv, env);
  const standard = standardCommand(parsed, serverHelp);
  if (standard !== undefined) return standard;

  const config: ServerConfig = {
    host: optionValue(parsed, "host", DEFAULTS.host, parseHost),
    port: optionValue(parsed, "port", DEFAULTS.port, (source, raw) => parsePort(source, raw)),
    timeZone: optionValue<string | undefined>(parsed, "tz", undefined, parseTimeZone),
    logLevel: optionValue(parsed, "log-level", "info", (source, raw) =>
      parseChoice(source, raw, LOG_LEVELS),
    ),
    logFormat: optionValue(parsed, "log-format", "text", (source, raw) =>
      parseChoice(source, raw, LOG_FORMATS),
    ),
    maxConnections: optionValue(parsed, "max-connections", DEFAULTS.maxConnections, (source, raw) =>
      parseInteger(source, raw, 1, 1_000_000),
    ),
    idleTimeout: optionValue(parsed, "idle-timeout", DEFAULTS.idleTimeout, (source, raw) =>
      parseInteger(source, raw, 0, 2_000_000),
    ),
    maxLine: optionValue(parsed, "max-line", DEFAULTS.maxLine, (source, raw) =>
      parseInteger(source, raw, 5, 1024 * 1024),
    ),
    workers: optionValue(parsed, "workers", 1, parseWorkers),
  };
  if (config.timeZone === undefined) checkSystemTimeZone(env);
  return { kind: "run", config };
}

/** More processes than this only costs memory: each one is a whole Node runtime. */
const MAX_WORKERS = 256;

function parseWorkers(source: string, raw: string): number {
  const value = raw.trim().toLowerCase();
  if (value === "auto") return availableParallelism();
  const count = /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!(count >= 1 && count <= MAX_WORKERS)) {
    throw configError(source, raw, `must be a whole number from 1 to ${MAX_WORKERS}, or auto`);
  }
  return count;
}

function parseTimeZone(source: string, raw: string): string {
  const zone = raw.trim();
  if (!isKnownTimeZone(zone))
    throw configError(source, raw, "not a known time zone (use an IANA name such as Asia/Jakarta)");
  return zone;
}
