/**
 * The seed protocol as a sans-I/O state machine: bytes in, events out.
 *
 * Everything that decides what a byte stream means lives here, and nothing
 * else does: no socket, timer or clock. The driver feeds bytes with
 * `receiveData()`, signals EOF with `receiveEof()`, and pulls events with
 * `nextEvent()` until it gets NEED_DATA or CLOSED. Any split of the same
 * stream into chunks yields the same events.
 *
 * Rules kept here:
 * - a request is a line ending in LF; only the exact lines `TIME\r\n` and
 *   `QUIT\r\n` are valid, any other complete line is an InvalidLine;
 * - a line whose bytes before the LF exceed `maxLine` is LineTooLong, judged the
 *   same whether or not its LF has arrived, so chunking never changes the outcome;
 * - QUIT, LineTooLong and EOF end the conversation: later bytes are ignored;
 * - at most `maxLine` bytes of an unterminated line are ever held.
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

const LF = 0x0a;
const CR = 0x0d;
const EMPTY = Buffer.alloc(0);

export const DEFAULT_MAX_LINE = 1024;

export interface TimeProtocolOptions {
  /** Longest line accepted, in bytes before the LF (CR included). */
  maxLine?: number;
}

export class TimeProtocol {
  readonly maxLine: number;
  /** Bytes received and not yet handed out as events. */
  private buffer: Buffer = EMPTY;
  /** Start of the first unconsumed byte in `buffer`. */
  private start = 0;
  /** Bytes from `start` already known to hold no LF, so a slow sender never forces a rescan. */
  private scanned = 0;
  private eof = false;
  private closed = false;

  constructor(options: TimeProtocolOptions = {}) {
    const maxLine = options.maxLine ?? DEFAULT_MAX_LINE;
    if (!Number.isSafeInteger(maxLine) || maxLine < 5) {
      throw new RangeError(`maxLine must be an integer of at least 5, got ${maxLine}`);
    }
    this.maxLine = maxLine;
  }

  /** True once QUIT, an over-long line or EOF has ended the conversation. */
  get isClosed(): boolean {
    return this.closed;
  }

  /** Bytes of an unterminated line currently held (never more than maxLine). */
  get bufferedBytes(): number {
    return this.buffer.length - this.start;
  }

  /** Feed bytes from the peer. Bytes after the conversation ended are ignored. */
  receiveData(data: Buffer | Uint8Array): void {
    if (this.closed || this.eof || data.length === 0) return;
    const chunk = Buffer.isBuffer(data)
      ? data
      : Buffer.from(data.buffer, data.byteOffset, data.length);
    if (this.start === this.buffer.length) {
      // The common case: nothing pending, so the chunk is used in place, no copy.
      this.buffer = chunk;
    } else {
      const pending = this.buffer.length - this.start;
      const merged = Buffer.allocUnsafeSlow(pending + chunk.length);
      this.buffer.copy(merged, 0, this.start);
      chunk.copy(merged, pending);
      this.buffer = merged;
    }
    this.start = 0;
  }

  /** The peer finished sending. An explicit call, not an empty chunk, so it cannot happen by accident. */
  receiveEof(): void {
    this.eof = true;
  }

  nextEvent(): NextEvent {
    if (this.closed) return CLOSED;
    const buffer = this.buffer;
    const start = this.start;
    const lf = buffer.indexOf(LF, start + this.scanned);
    if (lf === -1) return this.noCompleteLine();

    this.start = lf + 1;
    this.scanned = 0;
    const length = lf - start;
    if (this.start === buffer.length) this.release();

    if (length > this.maxLine) return this.tooLong();
    if (length === 5 && buffer[lf - 1] === CR) {
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
        this.release();
        return QUIT_REQUEST;
      }
    }
    const invalid: InvalidLine = { type: "invalid", line: buffer.subarray(start, lf) };
    return invalid;
  }

  private noCompleteLine(): NextEvent {
    const pending = this.buffer.length - this.start;
    if (pending > this.maxLine) return this.tooLong();
    if (this.eof) {
      this.closed = true;
      this.release();
      const finished: PeerFinished = { type: "peer-finished", droppedBytes: pending };
      return finished;
    }
    this.scanned = pending;
    this.compact();
    return NEED_DATA;
  }

  private tooLong(): LineTooLong {
    this.closed = true;
    this.release();
    return { type: "line-too-long", maxLine: this.maxLine };
  }

  /**
   * Keep only the unterminated tail, in a buffer of its own: a view would pin
   * the whole chunk the socket read into for as long as the line stays open.
   */
  private compact(): void {
    const pending = this.buffer.length - this.start;
    if (pending === 0) {
      this.release();
      return;
    }
    if (this.start === 0 && this.buffer.buffer.byteLength === pending) return;
    const tail = Buffer.allocUnsafeSlow(pending);
    this.buffer.copy(tail, 0, this.start);
    this.buffer = tail;
    this.start = 0;
  }

  private release(): void {
    this.buffer = EMPTY;
    this.start = 0;
    this.scanned = 0;
  }
}
