/**
 * A log line that a flood could repeat without end (a refused connection, a
 * dropped datagram, a failed accept) is written at most once a second per
 * key; the next one says how many were left out in between.
 */

import type { Clock } from "../clock/clock.js";

const INTERVAL_MS = 1000;

export class ThrottledLog {
  private readonly last = new Map<string, { at: number; suppressed: number }>();

  constructor(private readonly clock: Clock) {}

  /**
   * Undefined when a line for `key` was written less than a second ago (the
   * event is counted); else the number of events left out since the last line.
   */
  take(key: string): number | undefined {
    const now = this.clock.monotonic();
    const entry = this.last.get(key);
    if (entry === undefined) {
      this.last.set(key, { at: now, suppressed: 0 });
      return 0;
    }
    if (now - entry.at < INTERVAL_MS) {
      entry.suppressed++;
      return undefined;
    }
    const suppressed = entry.suppressed;
    entry.at = now;
    entry.suppressed = 0;
    return suppressed;
  }
}

/** " (N more since the last message)", or "" for none. */
export function suppressedSuffix(count: number, what: string): string {
  return count > 0 ? ` (${count} more ${what} since the last message)` : "";
}

/** The first line of a message (an OpenSSL or Node error can span several), for a one-line log. */
export function oneLine(text: string): string {
  const end = text.indexOf("\n");
  return end < 0 ? text : text.slice(0, end);
}
