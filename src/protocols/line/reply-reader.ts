/**
 * The client side of the line protocol as a sans-I/O reader: bytes from the
 * server in, replies out. `timeclient`, `timebench` and the tests all judge
 * replies here and nowhere else.
 *
 * Rules kept here (the framing, LF and `maxLine`, is line-framing.ts's,
 * shared with the server's TimeProtocol):
 * - only the exact lines `JAM hh:mm:ss\r\n` (a real 24-hour time) and
 *   `Invalid command\r\n` are replies of the protocol, any other complete
 *   line is malformed;
 * - a line too long ends the reading: any split of the same stream into
 *   chunks gives the same replies.
 *
 * Two ways to take replies from the same framing: `nextEvent()` hands out
 * events (h11's style, for the client and tests), `takeReplies()` only counts
 * good and bad ones and allocates nothing, for the benchmark's hot path.
 */

import { CLOSED, NEED_DATA } from "./events.js";
import { LINE, LineFraming, NOTHING, TOO_LONG } from "./line-framing.js";
import {
  INVALID_COMMAND_REPLY,
  isInvalidCommandReplyAt,
  isTimeReplyAt,
  TIME_REPLY_LENGTH,
} from "./replies.js";
import {
  INVALID_REPLY,
  type MalformedReply,
  type ReplyEvent,
  type ReplyLineTooLong,
  type ServerFinished,
  type TimeReply,
} from "./reply-events.js";

const CR = 0x0d;
const ZERO = 0x30;
/** First size of the held-line storage: a cut time reply fits, so a benchmark connection never grows it. */
const FIRST_HELD_CAPACITY = 32;

/** Longest reply line accepted by default, in bytes before the LF. */
export const DEFAULT_MAX_REPLY_LINE = 1024;

export type NextReply = ReplyEvent | typeof NEED_DATA | typeof CLOSED;

export interface ReplyReaderOptions {
  /** Longest reply line accepted, in bytes before the LF (CR included). */
  maxLine?: number;
}

export class ReplyReader extends LineFraming {
  /** Bad replies counted by `takeReplies()` so far (malformed, invalid and over-long lines). */
  badReplies = 0;
  private eof = false;
  private closed = false;

  constructor(options: ReplyReaderOptions = {}) {
    const maxLine = options.maxLine ?? DEFAULT_MAX_REPLY_LINE;
    if (!Number.isSafeInteger(maxLine) || maxLine < INVALID_COMMAND_REPLY.length) {
      throw new RangeError(
        `maxLine must be an integer of at least ${INVALID_COMMAND_REPLY.length}, got ${maxLine}`,
      );
    }
    // A benchmark connection gets cut replies all the time: keep the storage.
    super(maxLine, { keepStorage: true, firstCapacity: FIRST_HELD_CAPACITY });
  }

  /** True once an over-long line or EOF has ended the reading. */
  get isClosed(): boolean {
    return this.closed;
  }

  /**
   * Feed `bytes[start, end)` from the server. The reader keeps a view of these
   * bytes until its replies are taken: a driver that reuses its read buffer
   * (`onread`) must take them (to NEED_DATA, or with `takeReplies()`) before
   * the next read; whatever is left then is copied, never pinned.
   */
  receiveData(bytes: Buffer, start = 0, end = bytes.length): void {
    // Buffers only, with no check: Buffer.isBuffer costs more than reading a whole reply.
    if (this.closed || this.eof || end <= start) return;
    this.feed(bytes, start, end);
  }

  /** The server finished sending. An explicit call, not an empty chunk, so it cannot happen by accident. */
  receiveEof(): void {
    this.eof = true;
  }

  /** The next reply, NEED_DATA when more bytes are needed, CLOSED once the reading has ended. */
  nextEvent(): NextReply {
    if (this.closed) return CLOSED;
    const found = this.advance();
    if (found === LINE) return this.judge();
    if (found === TOO_LONG) return this.tooLong();
    if (!this.eof) return NEED_DATA;
    const finished: ServerFinished = { type: "server-finished", droppedBytes: this.heldLength };
    this.close();
    return finished;
  }

  /**
   * Take every complete reply without making events: returns how many there
   * were (good and bad) and adds the bad ones to `badReplies`. An over-long
   * line counts as one bad reply and ends the reading (see `isClosed`).
   */
  takeReplies(): number {
    let replies = 0;
    let bad = 0;
    while (!this.closed) {
      if (this.heldLength === 0) {
        // The common case, whole good replies at the read position: a few byte compares each.
        const chunk = this.chunk;
        const end = this.end;
        let at = this.at;
        while (end - at >= TIME_REPLY_LENGTH && isTimeReplyAt(chunk, at)) {
          at += TIME_REPLY_LENGTH;
          replies++;
        }
        this.at = at;
        if (at === end && !this.eof) break;
      }
      const found = this.advance();
      if (found === NOTHING) {
        if (this.eof) this.close();
        break;
      }
      replies++;
      if (found === TOO_LONG) {
        bad++;
        this.close();
      } else if (
        this.lineEnd - this.lineStart + 1 !== TIME_REPLY_LENGTH ||
        !isTimeReplyAt(this.lineBuffer, this.lineStart)
      ) {
        bad++;
      }
    }
    this.badReplies += bad;
    return replies;
  }

  /** The line `advance()` found, as an event. */
  private judge(): ReplyEvent {
    const line = this.lineBuffer;
    const start = this.lineStart;
    const length = this.lineEnd - start + 1;
    if (length === TIME_REPLY_LENGTH && isTimeReplyAt(line, start)) {
      const time: TimeReply = {
        type: "time",
        text: line.toString("latin1", start, start + TIME_REPLY_LENGTH - 2),
        hours: twoDigits(line, start + 4),
        minutes: twoDigits(line, start + 7),
        seconds: twoDigits(line, start + 10),
      };
      return time;
    }
    if (length === INVALID_COMMAND_REPLY.length && isInvalidCommandReplyAt(line, start)) {
      return INVALID_REPLY;
    }
    let contentEnd = this.lineEnd;
    if (contentEnd > start && line[contentEnd - 1] === CR) contentEnd--;
    const malformed: MalformedReply = {
      type: "malformed",
      bytes: Buffer.from(line.subarray(start, contentEnd)),
    };
    return malformed;
  }

  private tooLong(): ReplyLineTooLong {
    this.close();
    return { type: "line-too-long", maxLine: this.maxLine };
  }

  private close(): void {
    this.closed = true;
    this.clearFraming();
  }
}

function twoDigits(bytes: Buffer, at: number): number {
  return ((bytes[at] as number) - ZERO) * 10 + ((bytes[at + 1] as number) - ZERO);
}
