import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import {
  encodeTimeReply,
  INVALID_COMMAND_REPLY,
  isInvalidCommandReplyAt,
  isTimeReplyAt,
} from "../../../src/protocols/line/replies.js";

describe("replies", () => {
  it("encodes the time reply byte for byte", () => {
    assert.deepEqual(encodeTimeReply("07:05:09"), Buffer.from("JAM 07:05:09\r\n", "latin1"));
  });

  it("encodes the invalid-command reply byte for byte", () => {
    assert.equal(INVALID_COMMAND_REPLY.toString("latin1"), "Invalid command\r\n");
  });

  it("refuses a time of day that is not 24-hour hh:mm:ss", () => {
    for (const bad of ["7:05:09", "24:00:00", "12:60:00", "12:00:61", "12:00", "noon"]) {
      assert.throws(() => encodeTimeReply(bad), RangeError, bad);
    }
  });
});

describe("isTimeReplyAt", () => {
  const at = (text: string, offset = 0) => isTimeReplyAt(Buffer.from(text, "latin1"), offset);

  it("accepts exactly JAM hh:mm:ss CRLF with a real 24-hour time", () => {
    for (const good of ["JAM 00:00:00\r\n", "JAM 23:59:59\r\n", "JAM 19:09:05\r\n"]) {
      assert.ok(at(good), good);
    }
    assert.ok(at("xxJAM 12:34:56\r\n", 2));
  });

  it("refuses every near miss", () => {
    for (const bad of [
      "JAM 24:00:00\r\n",
      "JAM 30:00:00\r\n",
      "JAM 12:60:00\r\n",
      "JAM 12:00:60\r\n",
      "JAM 12:34:56\n\n",
      "JAM 12:34:56\r\r",
      "JAM 1a:34:56\r\n",
      "JAM 12-34-56\r\n",
      "JAM\t12:34:56\r\n",
      "jAM 12:34:56\r\n",
      "Invalid command\r\n",
    ]) {
      assert.ok(!at(bad), JSON.stringify(bad));
    }
  });

  it("is false when fewer than 14 bytes are there", () => {
    assert.ok(!at("JAM 12:34:56\r"));
    assert.ok(!at("JAM 12:34:56\r\n", 1));
  });

  it("agrees with a pattern written apart from it, on every 14 bytes near a reply", () => {
    const pattern = /^JAM ([01]\d|2[0-3]):[0-5]\d:[0-5]\d\r\n$/;
    const alphabet = [..."JAM :\r\n0123456789x"];
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom(...alphabet), { minLength: 14, maxLength: 14 }),
        fc.array(fc.nat(13), { maxLength: 3 }),
        (chars, keep) => {
          // Start from a good reply and keep only some positions random, so near misses dominate.
          const good = [..."JAM 12:34:56\r\n"];
          const text = good.map((c, i) => (keep.includes(i) ? chars[i] : c)).join("");
          assert.equal(at(text), pattern.test(text), JSON.stringify(text));
        },
      ),
      { numRuns: 3000 },
    );
  });

  it("accepts every reply the encoder builds", () => {
    fc.assert(
      fc.property(fc.nat(23), fc.nat(59), fc.nat(59), (h, m, s) => {
        const pad = (n: number) => String(n).padStart(2, "0");
        assert.ok(isTimeReplyAt(encodeTimeReply(`${pad(h)}:${pad(m)}:${pad(s)}`), 0));
      }),
    );
  });
});

describe("isInvalidCommandReplyAt", () => {
  it("accepts exactly the invalid-command reply", () => {
    assert.ok(isInvalidCommandReplyAt(INVALID_COMMAND_REPLY, 0));
    assert.ok(isInvalidCommandReplyAt(Buffer.from("xInvalid command\r\n", "latin1"), 1));
    assert.ok(!isInvalidCommandReplyAt(Buffer.from("Invalid command\n", "latin1"), 0));
    assert.ok(!isInvalidCommandReplyAt(Buffer.from("Invalid command\r", "latin1"), 0));
  });
});
