/**
 * Drives the protocol the way the server does, turning events into reply
 * strings with a fixed clock, so tests can compare whole conversations.
 */

import { CLOSED, NEED_DATA, type ProtocolEvent } from "../../../src/protocols/line/events.js";
import { TimeProtocol } from "../../../src/protocols/line/time-protocol.js";

export const FIXED_REPLY = "JAM 12:34:56\r\n";

export interface Conversation {
  events: string[];
  replies: string;
  closed: boolean;
  maxBuffered: number;
}

function describe(event: ProtocolEvent): string {
  return event.type === "invalid" ? `invalid:${event.line.toString("latin1")}` : event.type;
}

export function drive(
  chunks: readonly Uint8Array[],
  options: { maxLine?: number; eof?: boolean } = {},
): Conversation {
  const protocol = new TimeProtocol({ maxLine: options.maxLine ?? 1024 });
  const events: string[] = [];
  let replies = "";
  let maxBuffered = 0;
  const pump = () => {
    for (;;) {
      const event = protocol.nextEvent();
      if (event === NEED_DATA || event === CLOSED) return;
      events.push(describe(event));
      if (event.type === "time") replies += FIXED_REPLY;
      else if (event.type === "invalid" || event.type === "line-too-long")
        replies += "Invalid command\r\n";
    }
  };
  for (const chunk of chunks) {
    protocol.receiveData(chunk);
    pump();
    maxBuffered = Math.max(maxBuffered, protocol.bufferedBytes);
  }
  if (options.eof) {
    protocol.receiveEof();
    pump();
  }
  return { events, replies, closed: protocol.isClosed, maxBuffered };
}

export const bytes = (text: string): Buffer => Buffer.from(text, "latin1");
