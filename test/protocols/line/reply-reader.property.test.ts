/**
 * Properties of the ReplyReader for every input, checked with fast-check on
 * streams made mostly of near-miss replies (where readers break), and on
 * arbitrary bytes.
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { CLOSED, NEED_DATA } from "../../../src/protocols/line/events.js";
import { ReplyReader } from "../../../src/protocols/line/reply-reader.js";
import { TIME_REPLY } from "../../helpers/wire-client.js";
import { countReplies, cut, readEvents } from "./read-replies.js";

const token = fc.oneof(
  fc.constantFrom(
    "JAM 12:34:56\r\n",
    "JAM 23:59:59\r\n",
    "JAM 00:00:00\r\n",
    "Invalid command\r\n",
    "JAM 24:00:00\r\n",
    "JAM 12:34:56\n",
    "JAM 12:34:56",
    "\r\n",
    "\n",
    "\r",
    "\x00",
    "\xff",
  ),
  fc.string({ maxLength: 12 }),
);
const stream = fc
  .array(token, { maxLength: 40 })
  .map((parts) => Buffer.from(parts.join(""), "latin1"));
const anyBytes = fc.uint8Array({ maxLength: 300 }).map((bytes) => Buffer.from(bytes));
const cuts = fc.array(fc.nat(), { maxLength: 20 });
const maxLine = fc.integer({ min: 17, max: 64 });

describe("ReplyReader properties", () => {
  it("gives the same replies for any chunking of the same bytes", () => {
    fc.assert(
      fc.property(fc.oneof(stream, anyBytes), cuts, maxLine, fc.boolean(), (data, at, max, eof) => {
        const whole = readEvents([data], { maxLine: max, eof });
        const pieces = readEvents(cut(data, at), { maxLine: max, eof });
        assert.deepEqual(pieces.events, whole.events);
        assert.equal(pieces.closed, whole.closed);
      }),
      { numRuns: 2000 },
    );
  });

  it("counts the same replies for any chunking, and as many as it hands out as events", () => {
    fc.assert(
      fc.property(fc.oneof(stream, anyBytes), cuts, maxLine, (data, at, max) => {
        const events = readEvents([data], { maxLine: max }).events;
        const tally = countReplies(cut(data, at), { maxLine: max });
        assert.equal(tally.replies, events.length);
        assert.equal(tally.bad, events.filter((event) => !event.startsWith("time:")).length);
        assert.equal(tally.closed, events.at(-1)?.startsWith("line-too-long") === true);
      }),
      { numRuns: 2000 },
    );
  });

  it("calls a line too long exactly when it has more than maxLine bytes before its LF, however cut", () => {
    fc.assert(
      fc.property(maxLine, fc.integer({ min: -3, max: 3 }), cuts, (max, delta, at) => {
        const length = max + delta;
        const data = Buffer.from(`${"x".repeat(length - 1)}\r\nJAM 12:34:56\r\n`, "latin1");
        const events = readEvents(cut(data, at), { maxLine: max }).events;
        const tooLong = length > max;
        assert.equal(events[0]?.startsWith("line-too-long"), tooLong, events.join(" "));
        assert.equal(countReplies(cut(data, at), { maxLine: max }).closed, tooLong);
      }),
      { numRuns: 1000 },
    );
  });

  it("calls a line a time reply exactly when an independent pattern does", () => {
    fc.assert(
      fc.property(stream, (data) => {
        const lines = data.toString("latin1").split(/(?<=\n)/);
        const expected = lines.filter((line) => line.endsWith("\n")).map((l) => TIME_REPLY.test(l));
        const events = readEvents([data], { maxLine: 1024 }).events;
        assert.deepEqual(
          events.map((event) => event.startsWith("time:")),
          expected,
        );
      }),
      { numRuns: 1000 },
    );
  });

  it("never throws on arbitrary bytes, and holds at most maxLine bytes once drained", () => {
    fc.assert(
      fc.property(anyBytes, cuts, maxLine, (data, at, max) => {
        const chunks = cut(data, at);
        assert.ok(readEvents(chunks, { maxLine: max, eof: true }).maxBuffered <= max);
        assert.ok(countReplies(chunks, { maxLine: max }).maxBuffered <= max);
      }),
      { numRuns: 2000 },
    );
  });

  it("holds at most maxLine bytes however long a line without LF grows", () => {
    const reader = new ReplyReader({ maxLine: 100 });
    const piece = Buffer.alloc(7, "a");
    let stopped = false;
    for (let i = 0; i < 10_000 && !stopped; i++) {
      reader.receiveData(piece);
      const event = reader.nextEvent();
      assert.ok(reader.bufferedBytes <= 100);
      stopped = event !== NEED_DATA;
      if (stopped) {
        assert.ok(event !== NEED_DATA && event !== CLOSED && event.type === "line-too-long");
      }
    }
    assert.ok(stopped);
    assert.equal(reader.bufferedBytes, 0);
  });
});
