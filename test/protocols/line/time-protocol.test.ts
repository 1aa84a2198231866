import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  CLOSED,
  NEED_DATA,
  QUIT_REQUEST,
  TIME_REQUEST,
} from "../../../src/protocols/line/events.js";
import { TimeProtocol } from "../../../src/protocols/line/time-protocol.js";
import { bytes, drive, FIXED_REPLY } from "./drive.js";

const INVALID = "Invalid command\r\n";

/** h11's habit: check a stream whole, one byte at a time, and split at every position. */
function assertSameForAnyChunking(input: string, maxLine = 1024): void {
  const whole = drive([bytes(input)], { maxLine });
  const byteByByte = drive(
    [...bytes(input)].map((b) => Uint8Array.of(b)),
    { maxLine },
  );
  assert.deepEqual(byteByByte, { ...whole, maxBuffered: byteByByte.maxBuffered });
  for (let cut = 1; cut < input.length; cut++) {
    const split = drive([bytes(input.slice(0, cut)), bytes(input.slice(cut))], { maxLine });
    assert.deepEqual(split.events, whole.events, `split at ${cut}`);
  }
}

describe("TimeProtocol", () => {
  it("answers TIME\\r\\n with a time request", () => {
    assert.deepEqual(drive([bytes("TIME\r\n")]).events, ["time"]);
  });

  it("ends the conversation on QUIT and ignores everything after it", () => {
    const result = drive([bytes("QUIT\r\nTIME\r\n"), bytes("TIME\r\n")]);
    assert.deepEqual(result.events, ["quit"]);
    assert.equal(result.closed, true);
    assert.equal(result.replies, "");
  });

  it("treats every other complete line as invalid, keeping the connection open", () => {
    const lines = [
      "",
      "time",
      " TIME",
      "TIME ",
      "TIME\r",
      "QUIT\r\r",
      "TIMEX",
      "TIM",
      "QUITE",
      "\xff\xfe",
      "TI\x00ME",
      "JAM",
      "Q\x00IT",
    ];
    for (const line of lines) {
      const result = drive([bytes(`${line}\r\nTIME\r\n`)]);
      assert.deepEqual(result.events, [`invalid:${line}\r`, "time"], JSON.stringify(line));
      assert.equal(result.closed, false);
    }
  });

  it("requires CRLF: a bare LF line is invalid even when its text is TIME or QUIT", () => {
    assert.deepEqual(drive([bytes("TIME\nQUIT\n")]).events, ["invalid:TIME", "invalid:QUIT"]);
  });

  it("answers pipelined requests once each, in order", () => {
    const result = drive([bytes("TIME\r\nfoo\r\nTIME\r\nQUIT\r\nTIME\r\n")]);
    assert.deepEqual(result.events, ["time", "invalid:foo\r", "time", "quit"]);
    assert.equal(result.replies, FIXED_REPLY + INVALID + FIXED_REPLY);
  });

  it("needs data until the LF arrives, however the line is split", () => {
    const protocol = new TimeProtocol();
    for (const piece of ["T", "IM", "E\r"]) {
      protocol.receiveData(bytes(piece));
      assert.equal(protocol.nextEvent(), NEED_DATA);
    }
    protocol.receiveData(bytes("\n"));
    assert.equal(protocol.nextEvent(), TIME_REQUEST);
    assert.equal(protocol.nextEvent(), NEED_DATA);
    assert.equal(protocol.bufferedBytes, 0);
  });

  it("gives the same events for a conversation split at every byte", () => {
    assertSameForAnyChunking("TIME\r\nbad\r\n\r\nTIME\nTIME\r\nQUIT\r\nTIME\r\n");
    assertSameForAnyChunking(`TIME\r\n${"x".repeat(40)}\r\n`, 16);
  });

  it("closes on a line longer than maxLine, whether or not its LF has arrived", () => {
    const pending = drive([bytes("TIME\r\n"), bytes("x".repeat(17))], { maxLine: 16 });
    assert.deepEqual(pending.events, ["time", "line-too-long"]);
    assert.equal(pending.replies, FIXED_REPLY + INVALID);
    assert.equal(pending.closed, true);
    const complete = drive([bytes(`${"x".repeat(17)}\nTIME\r\n`)], { maxLine: 16 });
    assert.deepEqual(complete.events, ["line-too-long"]);
  });

  it("accepts a line of exactly maxLine bytes", () => {
    const line = `${"x".repeat(15)}\r`;
    assert.deepEqual(drive([bytes(`${line}\nTIME\r\n`)], { maxLine: 16 }).events, [
      `invalid:${line}`,
      "time",
    ]);
  });

  it("never holds more than maxLine bytes of an unterminated line", () => {
    const result = drive(
      Array.from({ length: 100 }, () => bytes("y".repeat(10))),
      { maxLine: 64 },
    );
    assert.ok(result.maxBuffered <= 64, `held ${result.maxBuffered}`);
    assert.deepEqual(result.events, ["line-too-long"]);
  });

  it("reports EOF after the complete lines, dropping an unterminated tail", () => {
    const result = drive([bytes("TIME\r\nTIM")], { eof: true });
    assert.deepEqual(result.events, ["time", "peer-finished"]);
    assert.equal(result.closed, true);
    const protocol = new TimeProtocol();
    protocol.receiveData(bytes("TI"));
    protocol.nextEvent();
    protocol.receiveEof();
    assert.deepEqual(protocol.nextEvent(), { type: "peer-finished", droppedBytes: 2 });
    assert.equal(protocol.nextEvent(), CLOSED);
  });

  it("shares one frozen event object for every valid request", () => {
    const protocol = new TimeProtocol();
    protocol.receiveData(bytes("TIME\r\nTIME\r\nQUIT\r\n"));
    assert.equal(protocol.nextEvent(), TIME_REQUEST);
    assert.equal(protocol.nextEvent(), TIME_REQUEST);
    assert.equal(protocol.nextEvent(), QUIT_REQUEST);
    assert.ok(Object.isFrozen(TIME_REQUEST));
  });

  it("does not keep a view of a large chunk alive for a pending line", () => {
    const protocol = new TimeProtocol();
    protocol.receiveData(Buffer.from(`${"TIME\r\n".repeat(10_000)}TI`, "latin1"));
    let answered = 0;
    while (protocol.nextEvent() === TIME_REQUEST) answered++;
    assert.equal(answered, 10_000);
    assert.equal(protocol.bufferedBytes, 2);
    // @ts-expect-error reaching into the framing's private storage is the point of this test
    const held = protocol.held as Buffer;
    assert.equal(held.buffer.byteLength, 2, "the pending line is a copy of its own");
    // @ts-expect-error and no view of the big chunk is kept
    assert.equal((protocol.chunk as Buffer).length, 0);
  });

  it("copies each byte of a long line a bounded number of times, however it is chunked", () => {
    // 1 MB line in 100-byte writes: before, every write re-copied the whole
    // unfinished line (about 5 GB copied); now each piece is copied once and
    // the line is joined once.
    const maxLine = 1024 * 1024;
    const piece = Buffer.alloc(100, 0x78);
    const protocol = new TimeProtocol({ maxLine });
    let copied = 0;
    const concat = Buffer.concat;
    const allocSlow = Buffer.allocUnsafeSlow;
    Buffer.concat = (list: readonly Uint8Array[], total?: number) => {
      const joined = concat(list, total);
      copied += joined.length;
      return joined;
    };
    Buffer.allocUnsafeSlow = (size: number) => {
      copied += size;
      return allocSlow(size);
    };
    try {
      for (let i = 0; i < Math.floor(maxLine / 100) - 1; i++) {
        protocol.receiveData(piece);
        assert.equal(protocol.nextEvent(), NEED_DATA);
      }
      protocol.receiveData(Buffer.from("\r\n"));
      assert.equal((protocol.nextEvent() as { type: string }).type, "invalid");
    } finally {
      Buffer.concat = concat;
      Buffer.allocUnsafeSlow = allocSlow;
    }
    assert.ok(copied <= 3 * maxLine, `copied ${copied} bytes for a ${maxLine}-byte line`);
  });

  it("rejects a maxLine too small to hold a request", () => {
    assert.throws(() => new TimeProtocol({ maxLine: 4 }), RangeError);
  });
});
