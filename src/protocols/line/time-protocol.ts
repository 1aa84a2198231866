/**
 * The line protocol as a sans-I/O state machine: bytes in, events out.
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
 * - at most `maxLine` bytes of an unterminated line are ever held, and a line
 *   costs time in proportion to its length however it is chunked.
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
/**
 * No pieces pending: shared, and frozen so that a push into it fails loudly.
 * Most connections never hold an unterminated line, and an idle connection
 * should not carry an empty array of its own.
 */
const NO_PIECES = Object.freeze([]) as unknown as Buffer[];

export const DEFAULT_MAX_LINE = 1024;

export interface TimeProtocolOptions {
  /** Longest line accepted, in bytes before the LF (CR included). */
  maxLine?: number;
}

export class TimeProtocol {
  readonly maxLine: number;
  /** The chunk being handed out as events; complete lines live here. */
  private buffer: Buffer = EMPTY;
  /** Start of the first unconsumed byte in `buffer`. */
  private start = 0;
  /** Bytes from `start` already known to hold no LF, so a slow sender never forces a rescan. */
  private scanned = 0;
  /**
   * Copies of the pieces of an unterminated line, kept apart and joined once
   * when its LF arrives, so a line costs time in proportion to its length
   * however finely it is chunked.
   */
  private pending: Buffer[] = NO_PIECES;
  private pendingLength = 0;
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

  /** Bytes received and not yet handed out as events. */
  get bufferedBytes(): number {
    return this.buffer.length - this.start + this.pendingLength;
  }

  /** Feed bytes from the peer. Bytes after the conversation ended are ignored. */
  receiveData(data: Buffer | Uint8Array): void {
    if (this.closed || this.eof || data.length === 0) return;
    const chunk = Buffer.isBuffer(data)
      ? data
      : Buffer.from(data.buffer, data.byteOffset, data.length);
    if (this.start < this.buffer.length) {
      // Fed again before the events were taken: keep the unread part in front.
      this.buffer = Buffer.concat([this.buffer.subarray(this.start), chunk]);
      this.start = 0;
      return;
    }
    if (this.pendingLength === 0) {
      // The common case: nothing pending, so the chunk is used in place, no copy.
      this.buffer = chunk;
      this.start = 0;
      this.scanned = 0;
      return;
    }
    if (chunk.indexOf(LF) === -1) {
      // Still no end of line: keep a copy of this piece only (the socket's
      // buffer must not be pinned), never re-copy the earlier pieces.
      this.pending.push(ownCopy(chunk));
      this.pendingLength += chunk.length;
      return;
    }
    this.pending.push(chunk);
    this.buffer = Buffer.concat(this.pending, this.pendingLength + chunk.length);
    this.start = 0;
    this.scanned = this.pendingLength;
    this.pending = NO_PIECES;
    this.pendingLength = 0;
  }

  /** The peer finished sending. An explicit call, not an empty chunk, so it cannot happen by accident. */
  receiveEof(): void {
    this.eof = true;
  }

  nextEvent(): NextEvent {
    if (this.closed) return CLOSED;
    const buffer = this.buffer;
    const start = this.start;
    const lf = this.pendingLength === 0 ? buffer.indexOf(LF, start + this.scanned) : -1;
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
    const pending = this.bufferedBytes;
    if (pending > this.maxLine) return this.tooLong();
    if (this.eof) {
      this.closed = true;
      this.release();
      const finished: PeerFinished = { type: "peer-finished", droppedBytes: pending };
      return finished;
    }
    this.keepTail();
    return NEED_DATA;
  }

  private tooLong(): LineTooLong {
    this.closed = true;
    this.release();
    return { type: "line-too-long", maxLine: this.maxLine };
  }

  /**
   * Move the unterminated tail of `buffer` to the pending pieces, as a copy of
   * its own: a view would pin the whole chunk the socket read into for as long
   * as the line stays open.
   */
  private keepTail(): void {
    const tail = this.buffer.length - this.start;
    if (tail > 0) {
      if (this.pending === NO_PIECES) this.pending = [];
      this.pending.push(ownCopy(this.buffer.subarray(this.start)));
      this.pendingLength += tail;
    }
    this.buffer = EMPTY;
    this.start = 0;
    this.scanned = 0;
  }

  private release(): void {
    this.buffer = EMPTY;
    this.start = 0;
    this.scanned = 0;
    this.pending = NO_PIECES;
    this.pendingLength = 0;
  }
}

/** A copy in memory of its own (not Node's shared pool), so holding it pins nothing else. */
function ownCopy(view: Buffer): Buffer {
  const copy = Buffer.allocUnsafeSlow(view.length);
  view.copy(copy);
  return copy;
}
