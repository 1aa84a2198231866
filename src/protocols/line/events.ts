/**
 * The events the protocol core hands to whoever drives it. Valid requests are
 * shared frozen singletons so that the hot path allocates nothing per request;
 * only events that carry bytes (an invalid line) are fresh objects.
 */

export interface TimeRequest {
  readonly type: "time";
}

export interface QuitRequest {
  readonly type: "quit";
}

/** A complete line that is neither `TIME\r\n` nor `QUIT\r\n`. */
export interface InvalidLine {
  readonly type: "invalid";
  /** The line as received, without its LF; a view into the receive buffer. */
  readonly line: Buffer;
}

/** The pending line passed `maxLine` bytes without an LF; the stream is abandoned. */
export interface LineTooLong {
  readonly type: "line-too-long";
  readonly maxLine: number;
}

/** The peer finished sending (EOF was fed) and every complete line has been handed out. */
export interface PeerFinished {
  readonly type: "peer-finished";
  /** Bytes of an unterminated last line that were dropped at EOF. */
  readonly droppedBytes: number;
}

export type ProtocolEvent = TimeRequest | QuitRequest | InvalidLine | LineTooLong | PeerFinished;

export const TIME_REQUEST: TimeRequest = Object.freeze({ type: "time" });
export const QUIT_REQUEST: QuitRequest = Object.freeze({ type: "quit" });

/** Returned by `nextEvent()` when more bytes are needed (h11's NEED_DATA). */
export const NEED_DATA: unique symbol = Symbol("NEED_DATA");
/** Returned by `nextEvent()` once the conversation is over: after QUIT, an over-long line or EOF. */
export const CLOSED: unique symbol = Symbol("CLOSED");

export type NextEvent = ProtocolEvent | typeof NEED_DATA | typeof CLOSED;
