/**
 * The native module's AES-SIV (native/src/aes_siv.c) against RFC 5297's
 * vectors and against the pure AesSiv, which it must match byte for byte
 * (cookies sealed by one process are opened by another, which may have the
 * other one). Skipped where the module or its AES-SIV is missing.
 */

import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { describe, it } from "node:test";
import fc from "fast-check";
import { AesSiv } from "../../src/crypto/aes-siv.js";
import {
  NATIVE_SIV_MAX_COMPONENTS,
  NativeAesSiv,
  type NativeSivFunctions,
} from "../../src/crypto/native-aes-siv.js";
import { nativeBinding, nativeMissing } from "../../src/transport/native-binding.js";

const binding = nativeBinding();
const native = binding?.sivSeal === undefined ? undefined : (binding as NativeSivFunctions);
const skip =
  nativeMissing() ?? (native === undefined ? "the native module has no AES-SIV" : undefined);

const hex = (text: string) => Buffer.from(text.replace(/\s+/g, ""), "hex");

describe("NativeAesSiv", { skip }, () => {
  const make = (key: Uint8Array) => new NativeAesSiv(native as NativeSivFunctions, key);

  it("RFC 5297 A.1, deterministic authenticated encryption", () => {
    const siv = make(
      hex(`fffefdfc fbfaf9f8 f7f6f5f4 f3f2f1f0 f0f1f2f3 f4f5f6f7 f8f9fafb fcfdfeff`),
    );
    const ad = hex(`10111213 14151617 18191a1b 1c1d1e1f 20212223 24252627`);
    const plaintext = hex(`11223344 55667788 99aabbcc ddee`);
    const expected = hex(`85632d07 c6e8f37f 950acd32 0a2ecc93 40c02b96 90c4dc04 daef7f6a fe5c`);
    assert.deepEqual(siv.seal([ad], plaintext), expected);
    assert.deepEqual(siv.open([ad], expected), plaintext);
  });

  it("RFC 5297 A.2, nonce-based (two associated data and a nonce)", () => {
    const siv = make(
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

  it("agrees with the pure AesSiv on every key, vector and plaintext, both ways", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.array(fc.uint8Array({ maxLength: 80 }), { maxLength: NATIVE_SIV_MAX_COMPONENTS }),
        fc.uint8Array({ maxLength: 300 }),
        (key, associated, plaintext) => {
          const pure = new AesSiv(key);
          const fast = make(key);
          const sealed = pure.seal(associated, plaintext);
          assert.deepEqual(fast.seal(associated, plaintext), sealed);
          assert.deepEqual(fast.open(associated, sealed), Buffer.from(plaintext));
          assert.deepEqual(
            pure.open(associated, fast.seal(associated, plaintext)),
            Buffer.from(plaintext),
          );
          for (const siv of [pure, fast]) {
            const out = Buffer.alloc(sealed.length + 5);
            siv.sealInto(associated, plaintext, out, 3);
            assert.deepEqual(out.subarray(3, 3 + sealed.length), sealed);
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  it("keeps agreeing when many keys take turns (the module's key cache replaces its slots)", () => {
    const keys = Array.from({ length: 3000 }, () => randomBytes(32));
    const plaintext = randomBytes(68);
    const nonce = randomBytes(16);
    const sealed = keys.map((key) => new AesSiv(key).seal([nonce], plaintext));
    for (let round = 0; round < 2; round++)
      keys.forEach((key, i) => {
        assert.deepEqual(make(key).seal([nonce], plaintext), sealed[i]);
        assert.deepEqual(make(key).open([nonce], sealed[i] as Buffer), plaintext);
      });
  });

  it("agrees on messages longer than the module's 2048-byte chunks", () => {
    const key = randomBytes(32);
    for (const length of [2047, 2048, 2049, 4096 + 15, 5000]) {
      const associated = [randomBytes(length), randomBytes(16)];
      const plaintext = randomBytes(length + 3);
      const sealed = new AesSiv(key).seal(associated, plaintext);
      assert.deepEqual(make(key).seal(associated, plaintext), sealed, `length ${length}`);
      assert.deepEqual(make(key).open(associated, sealed), plaintext, `length ${length}`);
    }
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
          const siv = make(Buffer.alloc(32, 7));
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

  it("writes into a caller's buffer at an offset, and opens a view", () => {
    const siv = make(randomBytes(32));
    const plaintext = randomBytes(40);
    const out = Buffer.alloc(100, 0xee);
    const vector = [Buffer.alloc(0), Buffer.alloc(16)];
    siv.seal(vector, plaintext, out, 8);
    assert.equal(out[7], 0xee);
    assert.equal(out[8 + 56], 0xee);
    assert.deepEqual(siv.open(vector, out.subarray(8, 64)), plaintext);
  });

  it("refuses a key that is not 32 bytes, a vector too long, and anything shorter than a tag", () => {
    assert.throws(() => make(Buffer.alloc(16)), RangeError);
    const siv = make(Buffer.alloc(32, 1));
    const tooMany = Array.from({ length: NATIVE_SIV_MAX_COMPONENTS + 1 }, () => Buffer.alloc(1));
    assert.throws(() => siv.seal(tooMany, Buffer.alloc(1)), RangeError);
    assert.equal(siv.open([Buffer.alloc(16)], Buffer.alloc(15)), undefined);
    assert.equal(make(Buffer.alloc(32, 2)).open([], siv.seal([], Buffer.from("x"))), undefined);
  });

  it("throws, never crashes, on arguments that are not bytes", () => {
    const n = native as NativeSivFunctions;
    const key = Buffer.alloc(32);
    const bad = (call: () => unknown) => assert.throws(call, TypeError);
    bad(() => n.sivSeal("key" as unknown as Uint8Array, Buffer.alloc(32), 0, Buffer.alloc(1)));
    bad(() => n.sivSeal(Buffer.alloc(31), Buffer.alloc(32), 0, Buffer.alloc(1)));
    bad(() => n.sivSeal(key, Buffer.alloc(16), 0, Buffer.alloc(1)));
    bad(() => n.sivSeal(key, Buffer.alloc(32), 40, Buffer.alloc(1)));
    bad(() => n.sivOpen(key, Buffer.alloc(1), 0, Buffer.alloc(32)));
    bad(() =>
      n.sivOpen(key, Buffer.alloc(16), 0, Buffer.alloc(32), [1, 2] as unknown as Uint8Array),
    );
  });
});
