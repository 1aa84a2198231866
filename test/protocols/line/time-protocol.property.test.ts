/**
 * Properties that must hold for every input, checked with fast-check on
 * streams made mostly of near-miss requests (where parsers break).
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { TimeProtocol } from "../../../src/protocols/line/time-protocol.js";
import { drive } from "./drive.js";

const token = fc.oneof(
  fc.constantFrom(
    "TIME\r\n",
    "QUIT\r\n",
    "TIME\n",
    "\r\n",
    "\n",
    "TIME",
    "\r",
    "time\r\n",
    "TIME \r\n",
    "\x00",
    "\xff",
  ),
  fc.string({ maxLength: 12 }),
);
const stream = fc
  .array(token, { maxLength: 40 })
  .map((parts) => Buffer.from(parts.join(""), "latin1"));

/** Cut `data` at the given positions (sorted, deduplicated, in range). */
function chunk(data: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (data.length + 1)))].sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let start = 0;
  for (const point of [...points, data.length]) {
    chunks.push(data.subarray(start, point));
    start = point;
  }
  return chunks.filter((c) => c.length > 0);
}

describe("TimeProtocol properties", () => {
  it("yields the same events and replies for any chunking of the same bytes", () => {
    fc.assert(
      fc.property(
        stream,
        fc.array(fc.nat(), { maxLength: 20 }),
        fc.integer({ min: 5, max: 64 }),
        fc.boolean(),
        (data, cuts, maxLine, eof) => {
          const whole = drive([data], { maxLine, eof });
          const pieces = drive(chunk(data, cuts), { maxLine, eof });
          assert.deepEqual(pieces.events, whole.events);
          assert.equal(pieces.replies, whole.replies);
          assert.equal(pieces.closed, whole.closed);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it("answers each complete line exactly once until the conversation ends", () => {
    fc.assert(
      fc.property(stream, (data) => {
        const result = drive([data], { maxLine: 1_000_000 });
        const lines = data.toString("latin1").split("\n");
        lines.pop();
        const quitAt = lines.indexOf("QUIT\r");
        const expected = quitAt === -1 ? lines.length : quitAt + 1;
        assert.equal(result.events.length, expected);
      }),
      { numRuns: 1000 },
    );
  });

  it("never throws and never buffers past maxLine, whatever the bytes", () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 30 }),
        fc.integer({ min: 5, max: 256 }),
        (chunks, maxLine) => {
          const protocol = new TimeProtocol({ maxLine });
          for (const piece of chunks) {
            protocol.receiveData(piece);
            while (typeof protocol.nextEvent() === "object") {
              // drain
            }
            assert.ok(protocol.bufferedBytes <= maxLine);
          }
        },
      ),
      { numRuns: 1000 },
    );
  });
});
