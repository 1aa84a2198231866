import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { describe, it } from "node:test";
import fc from "fast-check";
import { AesSiv } from "../../src/crypto/aes-siv.js";

const hex = (text: string) => Buffer.from(text.replace(/\s+/g, ""), "hex");

describe("AesSiv: RFC 5297's test vectors", () => {
  it("A.1, deterministic authenticated encryption (one associated data, no nonce)", () => {
    const siv = new AesSiv(
      hex(`fffefdfc fbfaf9f8 f7f6f5f4 f3f2f1f0 f0f1f2f3 f4f5f6f7 f8f9fafb fcfdfeff`),
    );
    const ad = hex(`10111213 14151617 18191a1b 1c1d1e1f 20212223 24252627`);
    const plaintext = hex(`11223344 55667788 99aabbcc ddee`);
    const expected = hex(`85632d07 c6e8f37f 950acd32 0a2ecc93 40c02b96 90c4dc04 daef7f6a fe5c`);
    assert.deepEqual(siv.seal([ad], plaintext), expected);
    assert.deepEqual(siv.open([ad], expected), plaintext);
  });

  it("A.2, nonce-based (two associated data and a nonce)", () => {
    const siv = new AesSiv(
      hex(`7f7e7d7c 7b7a7978 77767574 73727170 40414243 44454647 48494a4b 4c4d4e4f`),
    );
    const ad1 = hex(
      `00112233 44556677 8899aabb ccddeeff deaddada deaddada ffeeddcc bbaa9988 77665544 33221100`,
    );
    const ad2 = hex(`10203040 50607080 90a0`);
    const nonce = hex(`09f91102 9d74e35b d84156c5 635688c0`);
    const plaintext = hex(
      `74686973 20697320 736f6d65 20706c61 696e7465 78742074 6f20656e 63727970 74207573 696e6720 5349562d 414553`,
    );
    const expected = hex(
      `7bdb6e3b 432667eb 06f4d14b ff2fbd0f cb900f2f ddbe4043 26601965 c889bf17 dba77ceb 094fa663 b7a3f748 ba8af829 ea64ad54 4a272e9c 485b62a3 fd5c0d`,
    );
    assert.deepEqual(siv.seal([ad1, ad2, nonce], plaintext), expected);
    assert.deepEqual(siv.open([ad1, ad2, nonce], expected), plaintext);
  });
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
