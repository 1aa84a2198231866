/**
 * The events a client's ReplyReader hands out, one per reply line the server
 * sent. Only the exact replies of the protocol get a type of their own;
 * anything else is Malformed, so a client never mistakes a near miss
 * (`JAM 24:00:00`, a missing CR) for an answer.
 */

/** Exactly `JAM hh:mm:ss\r\n`, hh 00-23, mm and ss 00-59. */
export interface TimeReply {
  readonly type: "time";
  /** The line without its CRLF: `JAM 12:34:56`. */
  readonly text: string;
  readonly hours: number;
  readonly minutes: number;
  readonly seconds: number;
}

/** Exactly `Invalid command\r\n`. */
export interface InvalidReply {
  readonly type: "invalid";
}

/** Any other complete line. */
export interface MalformedReply {
  readonly type: "malformed";
  /** The line without its LF (and without a CR just before it); a copy of its own. */
  readonly bytes: Buffer;
}

/** The pending line passed `maxLine` bytes without an LF; the reader stops there. */
export interface ReplyLineTooLong {
  readonly type: "line-too-long";
  readonly maxLine: number;
}

/** The server finished sending (EOF was fed) and every complete line has been handed out. */
export interface ServerFinished {
  readonly type: "server-finished";
  /** Bytes of an unterminated last line that were dropped at EOF. */
  readonly droppedBytes: number;
}

export type ReplyEvent =
  | TimeReply
  | InvalidReply
  | MalformedReply
  | ReplyLineTooLong
  | ServerFinished;

export const INVALID_REPLY: InvalidReply = Object.freeze({ type: "invalid" });
