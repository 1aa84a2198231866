/**
 * The choice of AES-SIV: the native module's when it has one (and
 * TIMESERVER_NO_NATIVE is not set), else node:crypto's; and cookies made
 * with either open with the other, so replicas may differ.
 */

import assert from "node:assert/strict";
import { randomBytes, randomFillSync } from "node:crypto";
import { describe, it } from "node:test";
import { AesSiv, pureSiv } from "../../src/crypto/aes-siv.js";
import { NativeAesSiv } from "../../src/crypto/native-aes-siv.js";
import { CookieJar } from "../../src/protocols/nts/cookies.js";
import { nativeBinding } from "../../src/transport/native-binding.js";
import { sivFactory, sivImplementation } from "../../src/transport/native-siv.js";

describe("sivFactory", () => {
  it("gives the native AES-SIV exactly when the module has it", () => {
    const expected = nativeBinding()?.sivSeal === undefined ? "node:crypto" : "native";
    assert.equal(sivImplementation(), expected);
    const siv = sivFactory()(Buffer.alloc(32));
    assert.ok(expected === "native" ? siv instanceof NativeAesSiv : siv instanceof AesSiv);
    if (process.env.TIMESERVER_NO_NATIVE === "1") assert.equal(expected, "node:crypto");
  });

  it("makes cookies the pure implementation opens, and opens the pure one's", () => {
    const secret = randomBytes(32);
    const now = 1_795_705_876;
    const fast = new CookieJar({ secret, random: randomFillSync, siv: sivFactory() });
    const pure = new CookieJar({ secret, random: randomFillSync, siv: pureSiv });
    const keys = { aead: 15, c2s: randomBytes(32), s2c: randomBytes(32) };
    for (const [seal, open] of [
      [fast, pure],
      [pure, fast],
    ] as const) {
      const opened = open.open(seal.seal(keys, now), now);
      assert.deepEqual(opened, keys);
    }
  });
});
