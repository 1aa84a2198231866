/**
 * The RFC 867 daytime reply for "now", built once per wall-clock second and
 * reused by every request in that second: formatting a zoned date with Intl
 * costs far more than answering a request.
 */

import { type DaytimeFormatter, encodeDaytime } from "../protocols/daytime.js";

export class DaytimeReplyCache {
  private second = Number.NaN;
  private reply: Buffer = Buffer.alloc(0);

  constructor(private readonly format: DaytimeFormatter) {}

  /** The reply bytes for the second that holds `epochMs`; never written after they are returned. */
  replyAt(epochMs: number): Buffer {
    const second = Math.floor(epochMs / 1000);
    if (second !== this.second) {
      this.reply = encodeDaytime(second * 1000, this.format);
      this.second = second;
    }
    return this.reply;
  }
}
