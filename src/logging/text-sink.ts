/**
 * Human-readable lines in the original exercise's shape, with a timestamp in front:
 * `2026-11-26T03:21:22.123Z [INFO] Received: TIME from 127.0.0.1`.
 */

import type { Destination } from "./destination.js";
import type { EventLevel } from "./levels.js";
import type { LogFields, LogSink } from "./logger.js";

const LABELS: Record<EventLevel, string> = {
  trace: "[TRACE]",
  debug: "[DEBUG]",
  info: "[INFO]",
  warn: "[WARN]",
  error: "[ERROR]",
};

export class TextSink implements LogSink {
  private readonly prefix: string;
  private stampMs = Number.NaN;
  private stamp = "";

  constructor(
    private readonly destination: Destination,
    context?: { worker?: number },
  ) {
    this.prefix = context?.worker === undefined ? "" : `[worker ${context.worker}] `;
    destination.formatNotice = (message) => this.line("warn", message);
  }

  write(
    level: EventLevel,
    message: string,
    _fields: LogFields | undefined,
    essential = false,
  ): void {
    this.destination.write(this.line(level, message), essential);
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

  private line(level: EventLevel, message: string): string {
    return `${this.timestamp()} ${LABELS[level]} ${this.prefix}${message}\n`;
  }

  /** Many lines share a millisecond under load; format it once. */
  private timestamp(): string {
    const now = Date.now();
    if (now !== this.stampMs) {
      this.stampMs = now;
      this.stamp = new Date(now).toISOString();
    }
    return this.stamp;
  }
}
