/**
 * A Logger whose lines are kept in memory, for tests that run the server as
 * a library and assert on what it logged (and at which level).
 */

import type { EventLevel, LogLevel } from "../../src/logging/levels.js";
import { type LogFields, Logger, type LogSink } from "../../src/logging/logger.js";

export interface RecordedLine {
  level: EventLevel;
  message: string;
  fields: LogFields | undefined;
}

export class RecordingSink implements LogSink {
  readonly lines: RecordedLine[] = [];
  /** For each line, whether it was written as one never to drop (a lifecycle line). */
  readonly essential: boolean[] = [];
  readonly dropped = 0;

  write(
    level: EventLevel,
    message: string,
    fields: LogFields | undefined,
    essential = false,
  ): void {
    this.lines.push({ level, message, fields });
    this.essential.push(essential);
  }

  flush(): void {}

  async close(): Promise<number> {
    return 0;
  }

  /** The recorded lines at `level` whose message matches `pattern`. */
  find(level: EventLevel, pattern: RegExp): RecordedLine[] {
    return this.lines.filter((line) => line.level === level && pattern.test(line.message));
  }
}

export function recordingLogger(level: LogLevel = "info"): { logger: Logger; sink: RecordingSink } {
  const sink = new RecordingSink();
  return { logger: new Logger(level, sink), sink };
}
