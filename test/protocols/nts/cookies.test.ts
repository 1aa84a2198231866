import assert from "node:assert/strict";
import { randomBytes, randomFillSync } from "node:crypto";
import { describe, it } from "node:test";
import { COOKIE_LENGTH, CookieJar, masterKey } from "../../../src/protocols/nts/cookies.js";

const DAY = 86_400;
const secret = Buffer.alloc(32, 9);
const keys = { aead: 15, c2s: randomBytes(32), s2c: randomBytes(32) };
const jar = (s = secret) => new CookieJar({ secret: s, random: randomFillSync });

describe("CookieJar", () => {
  it("opens its own cookies and those of another process with the same secret", () => {
    const cookie = jar().seal(keys, 100 * DAY);
    assert.equal(cookie.length, COOKIE_LENGTH);
    assert.deepEqual(jar().open(cookie, 100 * DAY + 5), keys);
  });

  it("accepts three periods back and one ahead, no more", () => {
    const cookie = jar().seal(keys, 100 * DAY);
    const j = jar();
    assert.ok(j.open(cookie, 103 * DAY + DAY - 1));
    assert.equal(j.open(cookie, 104 * DAY), undefined);
    assert.ok(j.open(cookie, 99 * DAY));
    assert.equal(j.open(cookie, 98 * DAY + DAY - 1), undefined);
  });

  it("refuses a cookie made with another secret, or with any byte changed", () => {
    const cookie = jar().seal(keys, 100 * DAY);
    assert.equal(jar(Buffer.alloc(32, 8)).open(cookie, 100 * DAY), undefined);
    for (let i = 0; i < cookie.length; i++) {
      const bad = Buffer.from(cookie);
      bad[i] = (bad[i] as number) ^ 0x01;
      assert.equal(jar().open(bad, 100 * DAY), undefined, `byte ${i}`);
    }
    assert.equal(jar().open(cookie.subarray(0, 100), 100 * DAY), undefined);
  });

  it("makes a different cookie each time, and a different master key each period", () => {
    const j = jar();
    assert.notDeepEqual(j.seal(keys, 0), j.seal(keys, 0));
    assert.notDeepEqual(masterKey(secret, 1), masterKey(secret, 2));
  });

  it("refuses a short secret", () => {
    assert.throws(() => jar(Buffer.alloc(16)), RangeError);
  });
});
