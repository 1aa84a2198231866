/**
 * The logger every layer talks to. Call sites test the `*On` flags before
 * building a message, so a level that is off costs one property read on the
 * request path and nothing more.
 */

import { type EventLevel, LEVEL_VALUES, type LogLevel } from "./levels.js";

/** Structured context for a line; JSON output keeps it, text output shows only the message. */
export type LogFields = Record<string, string | number | boolean | undefined>;

export interface LogSink {
  write(level: EventLevel, message: string, fields: LogFields | undefined): void;
  /** Write out anything buffered, synchronously (before exit). */
  flush(): void;
}

export class Logger {
  readonly traceOn: boolean;
  readonly debugOn: boolean;
  readonly infoOn: boolean;
  readonly warnOn: boolean;
  readonly errorOn: boolean;

  constructor(
    readonly level: LogLevel,
    private readonly sink: LogSink,
  ) {
    const threshold = LEVEL_VALUES[level];
    this.traceOn = LEVEL_VALUES.trace >= threshold;
    this.debugOn = LEVEL_VALUES.debug >= threshold;
    this.infoOn = LEVEL_VALUES.info >= threshold;
    this.warnOn = LEVEL_VALUES.warn >= threshold;
    this.errorOn = LEVEL_VALUES.error >= threshold;
  }

  trace(message: string, fields?: LogFields): void {
    if (this.traceOn) this.sink.write("trace", message, fields);
  }
  debug(message: string, fields?: LogFields): void {
    if (this.debugOn) this.sink.write("debug", message, fields);
  }
  info(message: string, fields?: LogFields): void {
    if (this.infoOn) this.sink.write("info", message, fields);
  }
  warn(message: string, fields?: LogFields): void {
    if (this.warnOn) this.sink.write("warn", message, fields);
  }
  error(message: string, fields?: LogFields): void {
    if (this.errorOn) this.sink.write("error", message, fields);
  }

  /**
   * A line about the server's life (listening, signals, shutdown): written at
   * every level but silent, since an operator needs it whatever the level
   * (the port --port 0 chose, say).
   */
  lifecycle(level: EventLevel, message: string, fields?: LogFields): void {
    if (this.level !== "silent") this.sink.write(level, message, fields);
  }

  flush(): void {
    this.sink.flush();
  }
}

const NO_SINK: LogSink = { write() {}, flush() {} };

/** A logger that drops everything: the library's default. */
export const SILENT_LOGGER = new Logger("silent", NO_SINK);
