/**
 * The `JAM hh:mm:ss\r\n` reply for "now", built once per wall-clock second and
 * reused by every request in that second: formatting a zoned time costs far
 * more than answering a request.
 */

import type { TimeOfDayFormatter } from "../clock/time-of-day.js";
import { encodeTimeReply } from "../protocols/line/replies.js";

/** Longest run of replies served from the cache; longer runs are built on the spot. */
const MAX_CACHED_RUN = 64;

export class TimeReplyCache {
  private second = Number.NaN;
  private reply: Buffer = Buffer.alloc(0);
  /** MAX_CACHED_RUN copies of `reply`, made the first time a second needs a run. */
  private run: Buffer | undefined;
  private text = "";

  constructor(private readonly format: TimeOfDayFormatter) {}

  /** The reply bytes for the second that holds `epochMs`. */
  replyAt(epochMs: number): Buffer {
    const second = Math.floor(epochMs / 1000);
    if (second !== this.second) this.refresh(second);
    return this.reply;
  }

  /**
   * `count` copies of the reply back to back, for a read that held several
   * pipelined TIME requests. Runs of up to 64 are views of one cached buffer,
   * never written after it is made, so the socket may hold on to them.
   */
  repeatedAt(epochMs: number, count: number): Buffer {
    const reply = this.replyAt(epochMs);
    if (count === 1) return reply;
    if (count > MAX_CACHED_RUN) return Buffer.allocUnsafe(count * reply.length).fill(reply);
    if (this.run === undefined)
      this.run = Buffer.allocUnsafe(MAX_CACHED_RUN * reply.length).fill(reply);
    return this.run.subarray(0, count * reply.length);
  }

  /** The reply for `epochMs` without its CRLF (`JAM hh:mm:ss`), for logs. */
  textAt(epochMs: number): string {
    this.replyAt(epochMs);
    return this.text;
  }

  private refresh(second: number): void {
    this.second = second;
    const timeOfDay = this.format(second * 1000);
    this.reply = encodeTimeReply(timeOfDay);
    this.run = undefined;
    this.text = `JAM ${timeOfDay}`;
  }
}
