/**
 * One JSON object per line through pino, so the output is what log pipelines
 * that already read pino (or any JSON-lines) logs expect: numeric `level`,
 * ISO `time`, `pid`, the message in `msg` and the event's fields beside it.
 */

import { pino } from "pino";
import type { Destination } from "./destination.js";
import { type EventLevel, LEVEL_VALUES, type LogLevel } from "./levels.js";
import type { LogFields, LogSink } from "./logger.js";

export class JsonSink implements LogSink {
  private readonly pino: pino.Logger;
  /** Whether the line pino is writing right now must never be dropped. */
  private essential = false;

  constructor(
    private readonly destination: Destination,
    level: LogLevel,
    context?: { worker?: number },
  ) {
    const base: Record<string, number> = { pid: process.pid };
    if (context?.worker !== undefined) base.worker = context.worker;
    const stream = { write: (line: string) => destination.write(line, this.essential) };
    // The Logger decides what is written (lifecycle lines pass at every level), so pino passes everything.
    this.pino = pino(
      {
        level: level === "silent" ? "silent" : "trace",
        base,
        timestamp: pino.stdTimeFunctions.isoTime,
      },
      stream,
    );
    // The logging layer's own lines, in pino's shape (pino cannot be re-entered from a write).
    destination.formatNotice = (msg, fields) =>
      `${JSON.stringify({ level: LEVEL_VALUES.warn, time: new Date().toISOString(), ...base, ...fields, msg })}\n`;
  }

  write(
    level: EventLevel,
    message: string,
    fields: LogFields | undefined,
    essential = false,
  ): void {
    this.essential = essential;
    if (fields === undefined) this.pino[level](message);
    else this.pino[level](fields, message);
    this.essential = false;
  }

  get dropped(): number {
    return this.destination.dropped;
  }

  flush(): void {
    this.destination.flushSync();
  }

  close(): Promise<number> {
    return this.destination.close();
  }
}
