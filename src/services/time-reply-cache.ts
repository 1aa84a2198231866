/**
 * The line protocol's `JAM hh:mm:ss\r\n` reply for "now": the clock's
 * per-second cache combined with the protocol's encoder, so the reply is
 * built once per wall-clock second and reused by every request in it.
 */

import { PerSecondCache } from "../clock/per-second-cache.js";
import type { TimeOfDayFormatter } from "../clock/time-of-day.js";
import { encodeTimeReply } from "../protocols/line/replies.js";

/** Longest run of replies served from the cache; longer runs are built on the spot. */
const MAX_CACHED_RUN = 64;

/** One second's reply, and the run of its copies once a pipelined read needs one. */
interface SecondsReply {
  readonly bytes: Buffer;
  /** `JAM hh:mm:ss`, for logs. */
  readonly text: string;
  /** MAX_CACHED_RUN copies of `bytes`, made the first time the second needs a run. */
  run: Buffer | undefined;
}

export class TimeReplyCache {
  private readonly cache: PerSecondCache<SecondsReply>;

  constructor(format: TimeOfDayFormatter) {
    this.cache = new PerSecondCache((epochMs) => {
      const timeOfDay = format(epochMs);
      return { bytes: encodeTimeReply(timeOfDay), text: `JAM ${timeOfDay}`, run: undefined };
    });
  }

  /** The reply bytes for the second that holds `epochMs`. */
  replyAt(epochMs: number): Buffer {
    return this.cache.at(epochMs).bytes;
  }

  /**
   * `count` copies of the reply back to back, for a read that held several
   * pipelined TIME requests. Runs of up to 64 are views of one cached buffer,
   * never written after it is made, so the socket may hold on to them.
   */
  repeatedAt(epochMs: number, count: number): Buffer {
    const reply = this.cache.at(epochMs);
    const bytes = reply.bytes;
    if (count === 1) return bytes;
    if (count > MAX_CACHED_RUN) return Buffer.allocUnsafe(count * bytes.length).fill(bytes);
    if (reply.run === undefined) {
      reply.run = Buffer.allocUnsafe(MAX_CACHED_RUN * bytes.length).fill(bytes);
    }
    return reply.run.subarray(0, count * bytes.length);
  }

  /** The reply for `epochMs` without its CRLF (`JAM hh:mm:ss`), for logs. */
  textAt(epochMs: number): string {
    return this.cache.at(epochMs).text;
  }
}
