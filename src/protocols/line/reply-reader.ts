/**
 * The client side of the line protocol as a sans-I/O reader: bytes from the
 * server in, replies out. `timeclient`, `timebench` and the tests all judge
 * replies here and nowhere else.
 *
 * Rules kept here:
 * - a reply is a line ending in LF; only the exact lines `JAM hh:mm:ss\r\n`
 *   (a real 24-hour time) and `Invalid command\r\n` are replies of the
 *   protocol, any other complete line is malformed;
 * - a line whose bytes before the LF exceed `maxLine` is too long, judged the
 *   same whether or not its LF has arrived, and ends the reading: any split of
 *   the same stream into chunks gives the same replies;
 * - at most `maxLine` bytes of an unterminated line are held, in storage of the
 *   reader's own, and every byte is searched for LF once however the stream is
 *   chunked (the held part is known to hold no LF, so it is never searched again).
 *
 * Two ways to take replies from the same framing: `nextEvent()` hands out
 * events (h11's style, for the client and tests), `takeReplies()` only counts
 * good and bad ones and allocates nothing, for the benchmark's hot path.
 */

import { CLOSED, NEED_DATA } from "./events.js";
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

const LF = 0x0a;
const CR = 0x0d;
const ZERO = 0x30;
const EMPTY = Buffer.alloc(0);
/** First size of the held-line storage: a cut time reply fits, so a benchmark connection never grows it. */
const FIRST_HELD_CAPACITY = 32;

/** Longest reply line accepted by default, in bytes before the LF. */
export const DEFAULT_MAX_REPLY_LINE = 1024;

export type NextReply = ReplyEvent | typeof NEED_DATA | typeof CLOSED;

export interface ReplyReaderOptions {
  /** Longest reply line accepted, in bytes before the LF (CR included). */
  maxLine?: number;
}

/** What `advance()` found: nothing complete yet, a line, or a line over `maxLine`. */
const NOTHING = 0;
const LINE = 1;
const TOO_LONG = 2;
type Found = typeof NOTHING | typeof LINE | typeof TOO_LONG;

export class ReplyReader {
  readonly maxLine: number;
  /** Bad replies counted by `takeReplies()` so far (malformed, invalid and over-long lines). */
  badReplies = 0;
  /** The chunk being read: bytes `[at, end)` are unread. A view of the caller's bytes. */
  private chunk: Buffer = EMPTY;
  private at = 0;
  private end = 0;
  /** The start of an unterminated line (no LF in it), copied out of the caller's bytes. */
  private held: Buffer = EMPTY;
  private heldLength = 0;
  /** Where `advance()` put the line it found: `lineBuffer[lineStart, lineEnd]`, lineEnd the LF. */
  private lineBuffer: Buffer = EMPTY;
  private lineStart = 0;
  private lineEnd = 0;
  private eof = false;
  private closed = false;

  constructor(options: ReplyReaderOptions = {}) {
    const maxLine = options.maxLine ?? DEFAULT_MAX_REPLY_LINE;
    if (!Number.isSafeInteger(maxLine) || maxLine < INVALID_COMMAND_REPLY.length) {
      throw new RangeError(
        `maxLine must be an integer of at least ${INVALID_COMMAND_REPLY.length}, got ${maxLine}`,
      );
    }
    this.maxLine = maxLine;
  }

  /** True once an over-long line or EOF has ended the reading. */
  get isClosed(): boolean {
    return this.closed;
  }

  /** Bytes received and not yet handed out as replies. */
  get bufferedBytes(): number {
    return this.heldLength + (this.end - this.at);
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
    if (this.at < this.end) {
      // Fed again before the replies were taken: keep the unread part in front.
      this.chunk = Buffer.concat([
        this.chunk.subarray(this.at, this.end),
        bytes.subarray(start, end),
      ]);
      this.at = 0;
      this.end = this.chunk.length;
      return;
    }
    this.chunk = bytes;
    this.at = start;
    this.end = end;
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

  /** Find the next complete line; when there is none, hold the unterminated rest as a copy. */
  private advance(): Found {
    const chunk = this.chunk;
    const at = this.at;
    const end = this.end;
    let lf = at < end ? chunk.indexOf(LF, at) : -1;
    // A reused read buffer holds stale bytes past `end`: an LF there does not count.
    if (lf >= end) lf = -1;
    if (lf === -1) {
      if (this.heldLength + (end - at) > this.maxLine) return TOO_LONG;
      this.hold(chunk, at, end);
      this.at = end;
      return NOTHING;
    }
    if (this.heldLength + (lf - at) > this.maxLine) return TOO_LONG;
    this.at = lf + 1;
    if (this.heldLength === 0) {
      this.lineBuffer = chunk;
      this.lineStart = at;
      this.lineEnd = lf;
      return LINE;
    }
    // The line began in an earlier chunk: complete it in the held storage.
    this.hold(chunk, at, lf + 1);
    this.lineBuffer = this.held;
    this.lineStart = 0;
    this.lineEnd = this.heldLength - 1;
    this.heldLength = 0;
    return LINE;
  }

  /** Append `bytes[start, end)` to the held line, growing its storage up to `maxLine + 1` bytes. */
  private hold(bytes: Buffer, start: number, end: number): void {
    const length = this.heldLength + (end - start);
    if (length === this.heldLength) return;
    if (length > this.held.length) {
      const capacity = Math.min(
        this.maxLine + 1,
        Math.max(length, FIRST_HELD_CAPACITY, this.held.length * 2),
      );
      // Storage of its own (not Node's shared pool), so holding it pins nothing else.
      const grown = Buffer.allocUnsafeSlow(capacity);
      this.held.copy(grown, 0, 0, this.heldLength);
      this.held = grown;
    }
    bytes.copy(this.held, this.heldLength, start, end);
    this.heldLength = length;
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
    this.chunk = EMPTY;
    this.at = 0;
    this.end = 0;
    this.held = EMPTY;
    this.heldLength = 0;
    this.lineBuffer = EMPTY;
  }
}

function twoDigits(bytes: Buffer, at: number): number {
  return ((bytes[at] as number) - ZERO) * 10 + ((bytes[at + 1] as number) - ZERO);
}
