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
import { RFC5297_VECTORS } from "./rfc5297-vectors.js";

const binding = nativeBinding();
const native = binding?.sivSeal === undefined ? undefined : (binding as NativeSivFunctions);
const skip =
  nativeMissing() ?? (native === undefined ? "the native module has no AES-SIV" : undefined);

describe("NativeAesSiv", { skip }, () => {
  const make = (key: Uint8Array) => new NativeAesSiv(native as NativeSivFunctions, key);

  for (const vector of RFC5297_VECTORS) {
    it(`RFC 5297 ${vector.name}`, () => {
      const siv = make(vector.key);
      assert.deepEqual(siv.seal(vector.associated, vector.plaintext), vector.sealed);
      assert.deepEqual(siv.open(vector.associated, vector.sealed), vector.plaintext);
    });
  }

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
