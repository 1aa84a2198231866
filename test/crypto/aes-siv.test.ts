import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { describe, it } from "node:test";
import fc from "fast-check";
import { AesSiv } from "../../src/crypto/aes-siv.js";
import { RFC5297_VECTORS } from "./rfc5297-vectors.js";

describe("AesSiv: RFC 5297's test vectors", () => {
  for (const vector of RFC5297_VECTORS) {
    it(vector.name, () => {
      const siv = new AesSiv(vector.key);
      assert.deepEqual(siv.seal(vector.associated, vector.plaintext), vector.sealed);
      assert.deepEqual(siv.open(vector.associated, vector.sealed), vector.plaintext);
    });
  }
});

describe("AesSiv", () => {
  it("refuses a key that is not 32 bytes", () => {
    assert.throws(() => new AesSiv(Buffer.alloc(16)), RangeError);
  });

  it("opens what it sealed, for every length around the block boundaries", () => {
    const siv = new AesSiv(randomBytes(32));
    const nonce = randomBytes(16);
    for (let adLength = 0; adLength < 40; adLength++) {
      for (let length = 0; length < 50; length++) {
        const ad = randomBytes(adLength);
        const plaintext = randomBytes(length);
        const sealed = siv.seal([ad, nonce], plaintext);
        assert.equal(sealed.length, length + 16);
        assert.deepEqual(siv.open([ad, nonce], sealed), plaintext);
      }
    }
  });

  it("writes into a caller's buffer at an offset", () => {
    const siv = new AesSiv(randomBytes(32));
    const plaintext = randomBytes(40);
    const out = Buffer.alloc(100, 0xee);
    siv.seal([Buffer.alloc(0), Buffer.alloc(16)], plaintext, out, 8);
    assert.equal(out[7], 0xee);
    assert.equal(out[8 + 56], 0xee);
    assert.deepEqual(siv.open([Buffer.alloc(0), Buffer.alloc(16)], out.subarray(8, 64)), plaintext);
  });

  it("refuses any flipped bit in the sealed bytes, the associated data or the nonce", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 70 }),
        fc.uint8Array({ maxLength: 70 }),
        fc.uint8Array({ minLength: 1, maxLength: 20 }),
        fc.nat(),
        fc.integer({ min: 0, max: 7 }),
        fc.constantFrom("sealed", "ad", "nonce"),
        (plaintext, ad, nonce, at, bit, where) => {
          const siv = new AesSiv(Buffer.alloc(32, 7));
          const sealed = siv.seal([ad, nonce], plaintext);
          const target = where === "sealed" ? sealed : where === "ad" ? ad : nonce;
          if (target.length === 0) return;
          const i = at % target.length;
          target[i] = (target[i] as number) ^ (1 << bit);
          assert.equal(siv.open([ad, nonce], sealed), undefined);
        },
      ),
    );
  });

  it("refuses what another key sealed, and anything shorter than a tag", () => {
    const a = new AesSiv(Buffer.alloc(32, 1));
    const b = new AesSiv(Buffer.alloc(32, 2));
    const sealed = a.seal([Buffer.alloc(0), Buffer.alloc(16)], Buffer.from("cookie"));
    assert.equal(b.open([Buffer.alloc(0), Buffer.alloc(16)], sealed), undefined);
    assert.equal(a.open([Buffer.alloc(0), Buffer.alloc(16)], sealed.subarray(0, 15)), undefined);
  });
});
