/**
 * The `JAM hh:mm:ss\r\n` reply for "now", built once per wall-clock second and
 * reused by every request in that second: formatting a zoned time costs far
 * more than answering a request.
 */

import { encodeTimeReply } from "../protocol/replies.js";
import type { TimeOfDayFormatter } from "./time-of-day.js";

export class TimeReplyCache {
  private second = Number.NaN;
  private reply: Buffer = Buffer.alloc(0);
  private text = "";

  constructor(private readonly format: TimeOfDayFormatter) {}

  /** The reply bytes for the second that holds `epochMs`. */
  replyAt(epochMs: number): Buffer {
    const second = Math.floor(epochMs / 1000);
    if (second !== this.second) this.refresh(second);
    return this.reply;
  }

  /** The reply without its CRLF (`JAM hh:mm:ss`), for logs; valid after `replyAt`. */
  get lastReplyText(): string {
    return this.text;
  }

  private refresh(second: number): void {
    this.second = second;
    const timeOfDay = this.format(second * 1000);
    this.reply = encodeTimeReply(timeOfDay);
    this.text = `JAM ${timeOfDay}`;
  }
}
