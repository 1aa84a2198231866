/**
 * The line protocol as a sans-I/O state machine: bytes in, events out.
 *
 * Everything that decides what a byte stream means lives here, and nothing
 * else does: no socket, timer or clock. The driver feeds bytes with
 * `receiveData()`, signals EOF with `receiveEof()`, and pulls events with
 * `nextEvent()` until it gets NEED_DATA or CLOSED. Any split of the same
 * stream into chunks yields the same events.
 *
 * Rules kept here (the framing, LF and `maxLine`, is line-framing.ts's,
 * shared with the client's ReplyReader):
 * - only the exact lines `TIME\r\n` and `QUIT\r\n` are valid, any other
 *   complete line is an InvalidLine; a line over `maxLine` is LineTooLong;
 * - QUIT, LineTooLong and EOF end the conversation: later bytes are ignored.
 */

import {
  CLOSED,
  type InvalidLine,
  type LineTooLong,
  NEED_DATA,
  type NextEvent,
  type PeerFinished,
  QUIT_REQUEST,
  TIME_REQUEST,
} from "./events.js";
import { LINE, LineFraming, TOO_LONG } from "./line-framing.js";

const CR = 0x0d;

export const DEFAULT_MAX_LINE = 1024;

export interface TimeProtocolOptions {
  /** Longest line accepted, in bytes before the LF (CR included). */
  maxLine?: number;
}

export class TimeProtocol extends LineFraming {
  private eof = false;
  private closed = false;

  constructor(options: TimeProtocolOptions = {}) {
    const maxLine = options.maxLine ?? DEFAULT_MAX_LINE;
    if (!Number.isSafeInteger(maxLine) || maxLine < 5) {
      throw new RangeError(`maxLine must be an integer of at least 5, got ${maxLine}`);
    }
    // A server holds many idle connections: one with no cut line holds no storage.
    super(maxLine, { keepStorage: false });
  }

  /** True once QUIT, an over-long line or EOF has ended the conversation. */
  get isClosed(): boolean {
    return this.closed;
  }

  /** Feed bytes from the peer. Bytes after the conversation ended are ignored. */
  receiveData(data: Buffer | Uint8Array): void {
    if (this.closed || this.eof || data.length === 0) return;
    const chunk = Buffer.isBuffer(data)
      ? data
      : Buffer.from(data.buffer, data.byteOffset, data.length);
    this.feed(chunk, 0, chunk.length);
  }

  /** The peer finished sending. An explicit call, not an empty chunk, so it cannot happen by accident. */
  receiveEof(): void {
    this.eof = true;
  }

  nextEvent(): NextEvent {
    if (this.closed) return CLOSED;
    const found = this.advance();
    if (found === TOO_LONG) return this.tooLong();
    if (found !== LINE) return this.noCompleteLine();
    const buffer = this.lineBuffer;
    const start = this.lineStart;
    const lf = this.lineEnd;
    if (lf - start === 5 && buffer[lf - 1] === CR) {
      const b0 = buffer[start];
      if (
        b0 === 0x54 /* T */ &&
        buffer[start + 1] === 0x49 /* I */ &&
        buffer[start + 2] === 0x4d /* M */ &&
        buffer[start + 3] === 0x45 /* E */
      ) {
        return TIME_REQUEST;
      }
      if (
        b0 === 0x51 /* Q */ &&
        buffer[start + 1] === 0x55 /* U */ &&
        buffer[start + 2] === 0x49 /* I */ &&
        buffer[start + 3] === 0x54 /* T */
      ) {
        this.closed = true;
        this.clearFraming();
        return QUIT_REQUEST;
      }
    }
    // A view: of the caller's chunk, or of held storage that is never reused.
    const invalid: InvalidLine = { type: "invalid", line: buffer.subarray(start, lf) };
    return invalid;
  }

  private noCompleteLine(): NextEvent {
    if (this.eof) {
      const pending = this.bufferedBytes;
      this.closed = true;
      this.clearFraming();
      const finished: PeerFinished = { type: "peer-finished", droppedBytes: pending };
      return finished;
    }
    return NEED_DATA;
  }

  private tooLong(): LineTooLong {
    this.closed = true;
    this.clearFraming();
    return { type: "line-too-long", maxLine: this.maxLine };
  }
}
