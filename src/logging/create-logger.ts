import { JsonSink } from "./json-sink.js";
import type { LogLevel } from "./levels.js";
import { Logger } from "./logger.js";
import { createDestination } from "./open-output.js";
import { TextSink } from "./text-sink.js";

export type LogFormat = "text" | "json";
export const LOG_FORMATS: readonly LogFormat[] = ["text", "json"];

export interface LoggerOptions {
  level: LogLevel;
  format: LogFormat;
  /** File descriptor to write to; stdout by default. */
  fd?: number;
  /** Set in a worker process so every line says which worker wrote it. */
  worker?: number;
  /** Another writer shares the fd (the UDP thread): write whole lines atomically. */
  shared?: boolean;
}

export function createLogger(options: LoggerOptions): Logger {
  // Workers share the primary's stdout: their writes must not interleave.
  const destination = createDestination(options.fd ?? 1, {
    shared: options.worker !== undefined || options.shared === true,
  });
  const context = options.worker === undefined ? undefined : { worker: options.worker };
  const sink =
    options.format === "json"
      ? new JsonSink(destination, options.level, context)
      : new TextSink(destination, context);
  return new Logger(options.level, sink);
}
