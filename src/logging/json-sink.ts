/**
 * One JSON object per line through pino, so the output is what log pipelines
 * that already read pino (or any JSON-lines) logs expect: numeric `level`,
 * ISO `time`, `pid`, the message in `msg` and the event's fields beside it.
 */

import { pino } from "pino";
import type { Destination } from "./destination.js";
import type { EventLevel, LogLevel } from "./levels.js";
import type { LogFields, LogSink } from "./logger.js";

export class JsonSink implements LogSink {
  private readonly pino: pino.Logger;

  constructor(
    private readonly destination: Destination,
    level: LogLevel,
    context?: { worker?: number },
  ) {
    const base: Record<string, number> = { pid: process.pid };
    if (context?.worker !== undefined) base.worker = context.worker;
    this.pino = pino({ level, base, timestamp: pino.stdTimeFunctions.isoTime }, destination);
  }

  write(level: EventLevel, message: string, fields: LogFields | undefined): void {
    if (fields === undefined) this.pino[level](message);
    else this.pino[level](fields, message);
  }

  flush(): void {
    this.destination.flushSync();
  }
}
