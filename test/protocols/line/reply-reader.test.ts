import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { CLOSED, NEED_DATA } from "../../../src/protocols/line/events.js";
import { INVALID_REPLY } from "../../../src/protocols/line/reply-events.js";
import { ReplyReader } from "../../../src/protocols/line/reply-reader.js";
import { bytewise, countReplies, readEvents, text } from "./read-replies.js";

/**
 * h11's `tr`: the same bytes give the same replies whole, one byte at a time,
 * and with a further unterminated line after them (left held, not judged).
 */
function readsAs(data: string, expected: string[]): void {
  assert.deepEqual(readEvents([text(data)]).events, expected, "whole");
  assert.deepEqual(readEvents(bytewise(text(data))).events, expected, "byte at a time");
  const trailing = readEvents([text(`${data}JAM 12:3`)]);
  assert.deepEqual(trailing.events, expected, "with trailing bytes");
}

describe("ReplyReader", () => {
  it("reads a time reply with its fields", () => {
    readsAs("JAM 07:05:09\r\n", ["time:JAM 07:05:09=7,5,9"]);
    readsAs("JAM 23:59:59\r\nJAM 00:00:00\r\n", [
      "time:JAM 23:59:59=23,59,59",
      "time:JAM 00:00:00=0,0,0",
    ]);
  });

  it("reads the invalid-command reply as the shared frozen event", () => {
    readsAs("Invalid command\r\n", ["invalid"]);
    const reader = new ReplyReader();
    reader.receiveData(text("Invalid command\r\n"));
    const event = reader.nextEvent();
    assert.equal(event, INVALID_REPLY);
    assert.ok(Object.isFrozen(event));
  });

  it("calls every near miss malformed, keeping the line without its line ending", () => {
    readsAs("JAM 24:00:00\r\n", ["malformed:JAM 24:00:00"]);
    readsAs("JAM 12:60:00\r\n", ["malformed:JAM 12:60:00"]);
    readsAs("JAM 12:00:60\r\n", ["malformed:JAM 12:00:60"]);
    readsAs("JAM 12:34:56\n", ["malformed:JAM 12:34:56"]);
    readsAs("jam 12:34:56\r\n", ["malformed:jam 12:34:56"]);
    readsAs("JAM 12:34:56 \r\n", ["malformed:JAM 12:34:56 "]);
    readsAs("JAM 1:34:56\r\n", ["malformed:JAM 1:34:56"]);
    readsAs("Invalid command\n", ["malformed:Invalid command"]);
    readsAs("\r\n\n", ["malformed:", "malformed:"]);
    readsAs("a\rb\r\r\n", ["malformed:a\rb\r"]);
  });

  it("gives a malformed line a copy of its own, unchanged when the caller reuses its buffer", () => {
    const reader = new ReplyReader();
    const read = text("hello\r\n");
    reader.receiveData(read);
    const event = reader.nextEvent();
    read.fill(0);
    assert.ok(event !== NEED_DATA && event !== CLOSED && event.type === "malformed");
    assert.equal(event.bytes.toString("latin1"), "hello");
  });

  it("hands out nothing until the LF arrives", () => {
    const reader = new ReplyReader();
    for (const byte of text("JAM 12:34:56\r")) {
      reader.receiveData(Buffer.of(byte));
      assert.equal(reader.nextEvent(), NEED_DATA);
    }
    assert.equal(reader.bufferedBytes, 13);
    reader.receiveData(text("\n"));
    const event = reader.nextEvent();
    assert.ok(event !== NEED_DATA && event !== CLOSED && event.type === "time");
    assert.equal(reader.bufferedBytes, 0);
  });

  it("keeps the replies of two feeds taken together in order", () => {
    const reader = new ReplyReader();
    reader.receiveData(text("JAM 01:02:03\r\nInv"));
    reader.receiveData(text("alid command\r\n"));
    const first = reader.nextEvent();
    const second = reader.nextEvent();
    assert.ok(first !== NEED_DATA && first !== CLOSED && first.type === "time");
    assert.equal(second, INVALID_REPLY);
    assert.equal(reader.nextEvent(), NEED_DATA);
  });

  it("stops at a line longer than maxLine, whether or not its LF has arrived", () => {
    const long = `${"x".repeat(21)}\r\n`; // 22 bytes before the LF
    for (const data of [long, long.slice(0, 21), `JAM 12:34:56\r\n${long}JAM 12:34:56\r\n`]) {
      const reading = readEvents([text(data)], { maxLine: 20 });
      assert.equal(reading.events.at(-1), "line-too-long:20", JSON.stringify(data));
      assert.ok(reading.closed);
    }
    // Exactly maxLine bytes before the LF is still a line.
    assert.deepEqual(readEvents([text(`${"x".repeat(19)}\r\n`)], { maxLine: 20 }).events, [
      `malformed:${"x".repeat(19)}`,
    ]);
  });

  it("ignores everything after it stopped", () => {
    const reader = new ReplyReader({ maxLine: 20 });
    reader.receiveData(text("y".repeat(30)));
    const event = reader.nextEvent();
    assert.ok(event !== NEED_DATA && event !== CLOSED && event.type === "line-too-long");
    reader.receiveData(text("JAM 12:34:56\r\n"));
    assert.equal(reader.nextEvent(), CLOSED);
    assert.equal(reader.bufferedBytes, 0);
  });

  it("reports EOF after the last complete reply, with the bytes of an unterminated one dropped", () => {
    assert.deepEqual(readEvents([text("JAM 12:34:56\r\nJAM 12")], { eof: true }).events, [
      "time:JAM 12:34:56=12,34,56",
      "server-finished:6",
    ]);
    assert.deepEqual(readEvents([], { eof: true }).events, ["server-finished:0"]);
  });

  it("refuses a maxLine too short for the protocol's own replies", () => {
    assert.throws(() => new ReplyReader({ maxLine: 16 }), RangeError);
    assert.throws(() => new ReplyReader({ maxLine: 1.5 }), RangeError);
    assert.equal(new ReplyReader({ maxLine: 17 }).maxLine, 17);
  });
});

describe("ReplyReader.takeReplies", () => {
  it("counts good replies and bad ones", () => {
    const stream = text("JAM 12:34:56\r\nInvalid command\r\nJAM 25:00:00\r\n\nJAM 00:00:00\r\n");
    assert.deepEqual(countReplies([stream]), { replies: 5, bad: 3, closed: false, maxBuffered: 0 });
    // One byte at a time, "Invalid command\r" (16 bytes) is the most held before an LF.
    assert.deepEqual(countReplies(bytewise(stream)), {
      replies: 5,
      bad: 3,
      closed: false,
      maxBuffered: 16,
    });
  });

  it("judges only the bytes fed, never stale bytes after them in a reused read buffer", () => {
    // countReplies leaves valid replies after each chunk in its read buffer.
    assert.deepEqual(countReplies([text("JAM 12:3"), text("4:56\r\n")]), {
      replies: 1,
      bad: 0,
      closed: false,
      maxBuffered: 8,
    });
    assert.deepEqual(countReplies([text("JAM 12:34:5")]).replies, 0);
  });

  it("counts an over-long line as one bad reply and stops", () => {
    const stream = text(`JAM 12:34:56\r\n${"z".repeat(40)}\r\nJAM 12:34:56\r\n`);
    assert.deepEqual(countReplies([stream], { maxLine: 20 }), {
      replies: 2,
      bad: 1,
      closed: true,
      maxBuffered: 0,
    });
  });

  it("agrees with nextEvent on which replies are good", () => {
    const stream = text("JAM 12:34:56\r\nJAM 12:34:56\nInvalid command\r\nJAM 23:59:59\r\n");
    const events = readEvents([stream]).events;
    const tally = countReplies([stream]);
    assert.equal(tally.replies, events.length);
    assert.equal(tally.bad, events.filter((event) => !event.startsWith("time:")).length);
  });
});
