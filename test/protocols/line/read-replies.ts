/**
 * Drives a ReplyReader the way a client does, both ways it can be drained:
 * events described as short strings (so whole conversations compare with
 * deepEqual), and counts of good and bad replies.
 */

import { CLOSED, NEED_DATA } from "../../../src/protocols/line/events.js";
import type { ReplyEvent } from "../../../src/protocols/line/reply-events.js";
import { ReplyReader } from "../../../src/protocols/line/reply-reader.js";

export function describeReply(event: ReplyEvent): string {
  switch (event.type) {
    case "time":
      return `time:${event.text}=${event.hours},${event.minutes},${event.seconds}`;
    case "invalid":
      return "invalid";
    case "malformed":
      return `malformed:${event.bytes.toString("latin1")}`;
    case "line-too-long":
      return `line-too-long:${event.maxLine}`;
    case "server-finished":
      return `server-finished:${event.droppedBytes}`;
  }
}

export interface Reading {
  events: string[];
  closed: boolean;
  /** The most bytes the reader held after any chunk had been drained. */
  maxBuffered: number;
}

export function readEvents(
  chunks: readonly Buffer[],
  options: { maxLine?: number; eof?: boolean } = {},
): Reading {
  const reader = new ReplyReader(options.maxLine === undefined ? {} : { maxLine: options.maxLine });
  const events: string[] = [];
  let maxBuffered = 0;
  const drain = () => {
    for (;;) {
      const event = reader.nextEvent();
      if (event === NEED_DATA || event === CLOSED) return;
      events.push(describeReply(event));
    }
  };
  for (const chunk of chunks) {
    reader.receiveData(chunk);
    drain();
    maxBuffered = Math.max(maxBuffered, reader.bufferedBytes);
  }
  if (options.eof) {
    reader.receiveEof();
    drain();
  }
  return { events, closed: reader.isClosed, maxBuffered };
}

export interface Tally {
  replies: number;
  bad: number;
  closed: boolean;
  maxBuffered: number;
}

/**
 * Count replies with `takeReplies()`, each chunk copied into one reused read
 * buffer first (as timebench's `onread` does) with stale bytes after it, so a
 * reader that kept a view of an old read or looked past `end` would be caught.
 */
export function countReplies(chunks: readonly Buffer[], options: { maxLine?: number } = {}): Tally {
  const reader = new ReplyReader(options.maxLine === undefined ? {} : { maxLine: options.maxLine });
  const longest = Math.max(0, ...chunks.map((chunk) => chunk.length));
  const readBuffer = Buffer.alloc(longest + 64, "\n");
  let replies = 0;
  let maxBuffered = 0;
  for (const chunk of chunks) {
    readBuffer.fill("JAM 12:34:56\r\n");
    readBuffer.set(chunk, 0);
    reader.receiveData(readBuffer, 0, chunk.length);
    replies += reader.takeReplies();
    maxBuffered = Math.max(maxBuffered, reader.bufferedBytes);
  }
  return { replies, bad: reader.badReplies, closed: reader.isClosed, maxBuffered };
}

/** Cut `data` at the given positions (taken modulo its length, sorted, deduplicated). */
export function cut(data: Buffer, cuts: readonly number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (data.length + 1)))].sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let start = 0;
  for (const point of [...points, data.length]) {
    chunks.push(data.subarray(start, point));
    start = point;
  }
  return chunks.filter((c) => c.length > 0);
}

/** Every byte on its own. */
export function bytewise(data: Buffer): Buffer[] {
  return [...data].map((byte) => Buffer.of(byte));
}

export const text = (value: string): Buffer => Buffer.from(value, "latin1");
