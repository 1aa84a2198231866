/**
 * The logger every layer talks to. Call sites test the `*On` flags before
 * building a message, so a level that is off costs one property read on the
 * request path and nothing more. Ordinary lines may be dropped (and counted,
 * and reported in the log) when the output falls behind; `lifecycle` lines
 * never are.
 */

import { type EventLevel, LEVEL_VALUES, type LogLevel } from "./levels.js";

/** Structured context for a line; JSON output keeps it, text output shows only the message. */
export type LogFields = Record<string, string | number | boolean | undefined>;

export interface LogSink {
  /** `essential`: never drop this line, whatever the backlog. */
  write(
    level: EventLevel,
    message: string,
    fields: LogFields | undefined,
    essential?: boolean,
  ): void;
  /** Write out what can be written without waiting on the event loop (bounded; before exit). */
  flush(): void;
  /** Report drops, then write everything out (bounded); resolves with the lines still unwritten. */
  close(): Promise<number>;
  /** Lines lost since start. */
  readonly dropped: number;
}

export class Logger {
  readonly traceOn: boolean;
  readonly debugOn: boolean;
  readonly infoOn: boolean;
  readonly warnOn: boolean;
  readonly errorOn: boolean;
  private demotedView: Logger | undefined;

  constructor(
    readonly level: LogLevel,
    private readonly sink: LogSink,
    /** Write info lines at debug (see demoted()). */
    private readonly infoAsDebug = false,
  ) {
    const threshold = LEVEL_VALUES[level];
    this.traceOn = LEVEL_VALUES.trace >= threshold;
    this.debugOn = LEVEL_VALUES.debug >= threshold;
    this.infoOn = LEVEL_VALUES[infoAsDebug ? "debug" : "info"] >= threshold;
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
    if (this.infoOn) this.sink.write(this.infoAsDebug ? "debug" : "info", message, fields);
  }

  /**
   * This logger with its info lines written at debug, for routine traffic
   * that is not a client's (a proxy's health checks, every second or two per
   * replica): the same lines, kept out of the way unless asked for.
   */
  demoted(): Logger {
    this.demotedView ??= this.infoAsDebug ? this : new Logger(this.level, this.sink, true);
    return this.demotedView;
  }
  warn(message: string, fields?: LogFields): void {
    if (this.warnOn) this.sink.write("warn", message, fields);
  }
  error(message: string, fields?: LogFields): void {
    if (this.errorOn) this.sink.write("error", message, fields);
  }

  /**
   * A line about the server's life (listening, signals, shutdown, stopped,
   * errors): written at every level but silent, since an operator needs it
   * whatever the level (the port --port 0 chose, say), and never dropped even
   * when ordinary lines are. They are rare, so they may exceed the buffer
   * bound; they stay in order with the rest.
   */
  lifecycle(level: EventLevel, message: string, fields?: LogFields): void {
    if (this.level !== "silent") this.sink.write(level, message, fields, true);
  }

  /** Lines dropped since start (output too slow, or its reader gone): for metrics. */
  get droppedLines(): number {
    return this.sink.dropped;
  }

  /**
   * Write what can be written now without waiting on the event loop (at most
   * about a second for a paused terminal). Output to a pipe or socket that is
   * full is finished only by `close()`.
   */
  flush(): void {
    this.sink.flush();
  }

  /**
   * At shutdown, before process.exit: log the drops not yet reported and the
   * total (`Dropped N log lines in all`), then wait until everything is
   * written, at most about a second, never longer for a stuck reader.
   * Resolves with the number of lines that could not be written in time.
   */
  close(): Promise<number> {
    return this.sink.close();
  }
}

const NO_SINK: LogSink = { write() {}, flush() {}, close: async () => 0, dropped: 0 };

/** A logger that drops everything: the library's default. */
export const SILENT_LOGGER = new Logger("silent", NO_SINK);
