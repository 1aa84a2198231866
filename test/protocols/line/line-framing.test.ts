/**
 * LineFraming, the LF / max-line rule both ends of the line protocol share,
 * checked as h11 checks its readers: the whole input at once, one byte at a
 * time, and at every split point; the outcome never depends on the chunking.
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { LINE, LineFraming, NOTHING, TOO_LONG } from "../../../src/protocols/line/line-framing.js";

/** A framing that writes down what it finds: each line's bytes, "too-long", and what is still held. */
class Recorder extends LineFraming {
  readonly found: string[] = [];

  take(bytes: Buffer): void {
    this.feed(bytes, 0, bytes.length);
    for (;;) {
      const found = this.advance();
      if (found === NOTHING) return;
      if (found === TOO_LONG) {
        this.found.push("too-long");
        this.clearFraming();
        return;
      }
      assert.equal(found, LINE);
      this.found.push(this.lineBuffer.toString("latin1", this.lineStart, this.lineEnd));
    }
  }
}

function frame(chunks: Buffer[], maxLine: number, keepStorage: boolean) {
  const framing = new Recorder(maxLine, { keepStorage });
  for (const chunk of chunks) {
    if (framing.found.at(-1) === "too-long") break;
    framing.take(chunk);
  }
  return { found: framing.found, held: framing.bufferedBytes };
}

function splits(bytes: Buffer): Buffer[][] {
  const ways = [[bytes], [...bytes].map((byte) => Buffer.from([byte]))];
  for (let at = 1; at < bytes.length; at++) ways.push([bytes.subarray(0, at), bytes.subarray(at)]);
  return ways;
}

describe("LineFraming", () => {
  it("finds every line and holds the unterminated rest, however the bytes are split", () => {
    const bytes = Buffer.from("TIME\r\n\nab\r\ncd", "latin1");
    for (const keepStorage of [true, false]) {
      for (const chunks of splits(bytes)) {
        assert.deepEqual(frame(chunks, 16, keepStorage), {
          found: ["TIME\r", "", "ab\r"],
          held: 2,
        });
      }
    }
  });

  it("judges a line over maxLine too long whether or not its LF has come", () => {
    for (const text of ["123456\n", "123456"]) {
      for (const chunks of splits(Buffer.from(text, "latin1"))) {
        assert.deepEqual(frame(chunks, 5, false).found, ["too-long"]);
      }
    }
    assert.deepEqual(frame([Buffer.from("12345\n", "latin1")], 5, false).found, ["12345"]);
  });

  it("gives the same lines for any chunking of any input (property)", () => {
    fc.assert(
      fc.property(
        fc
          .uint8Array({ maxLength: 64 })
          .map((bytes) => Buffer.from(bytes.map((b) => (b % 4 === 0 ? 0x0a : b)))),
        fc.array(fc.nat(64), { maxLength: 8 }),
        fc.integer({ min: 1, max: 16 }),
        fc.boolean(),
        (bytes, cuts, maxLine, keepStorage) => {
          const points = [...new Set(cuts.map((cut) => cut % (bytes.length + 1)))].sort(
            (a, b) => a - b,
          );
          const chunks: Buffer[] = [];
          let from = 0;
          for (const point of [...points, bytes.length]) {
            chunks.push(bytes.subarray(from, point));
            from = point;
          }
          assert.deepEqual(
            frame(chunks, maxLine, keepStorage),
            frame([bytes], maxLine, keepStorage),
          );
        },
      ),
    );
  });
});
