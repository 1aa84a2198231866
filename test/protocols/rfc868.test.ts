import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { decodeRfc868, encodeRfc868 } from "../../src/protocols/rfc868.js";

const at = (iso: string) => Date.parse(iso);

describe("RFC 868 time", () => {
  it("sends 1970-01-01 as 2208988800 seconds since 1900, 4 bytes big-endian", () => {
    assert.deepEqual([...encodeRfc868(0)], [0x83, 0xaa, 0x7e, 0x80]);
  });

  it("sends whole seconds, dropping the milliseconds", () => {
    const reply = encodeRfc868(at("2026-11-26T14:15:16.999Z"));
    assert.equal(reply.length, 4);
    assert.equal(reply.readUInt32BE(0), at("2026-11-26T14:15:16Z") / 1000 + 2_208_988_800);
  });

  it("wraps to 0 at 2036-02-07T06:28:16Z", () => {
    assert.deepEqual([...encodeRfc868(at("2036-02-07T06:28:15.999Z"))], [0xff, 0xff, 0xff, 0xff]);
    assert.deepEqual([...encodeRfc868(at("2036-02-07T06:28:16Z"))], [0, 0, 0, 0]);
    assert.deepEqual([...encodeRfc868(at("2036-02-07T06:28:17Z"))], [0, 0, 0, 1]);
  });

  it("reads a value back in the era nearest the pivot, on both sides of the wrap", () => {
    const pivot = at("2036-02-07T06:28:16Z");
    assert.equal(decodeRfc868(Buffer.from([0, 0, 0, 0]), pivot), pivot);
    assert.equal(decodeRfc868(Buffer.from([0, 0, 0, 0]), pivot - 86_400_000), pivot);
    assert.equal(
      decodeRfc868(Buffer.from([0xff, 0xff, 0xff, 0xff]), pivot + 86_400_000),
      pivot - 1000,
    );
    assert.equal(
      decodeRfc868(Buffer.from([0x83, 0xaa, 0x7e, 0x80]), at("2026-01-01T00:00:00Z")),
      0,
    );
  });

  it("decode(encode(t), t) is t floored to the second for every t from 1970 to 2100", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: at("2100-01-01T00:00:00Z") }), (t) => {
        assert.equal(decodeRfc868(encodeRfc868(t), t), Math.floor(t / 1000) * 1000);
      }),
    );
  });

  it("decodes right with a pivot up to 60 years off", () => {
    const sixtyYears = 60 * 365 * 86_400_000;
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: at("2100-01-01T00:00:00Z") }),
        fc.integer({ min: -sixtyYears, max: sixtyYears }),
        (t, skew) => {
          assert.equal(decodeRfc868(encodeRfc868(t), t + skew), Math.floor(t / 1000) * 1000);
        },
      ),
    );
  });

  it("refuses a reply that is not exactly 4 bytes", () => {
    assert.throws(() => decodeRfc868(Buffer.alloc(3), 0), RangeError);
    assert.throws(() => decodeRfc868(Buffer.alloc(5), 0), RangeError);
  });
});
