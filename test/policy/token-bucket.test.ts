import assert from "node:assert/strict";
import { describe, it, mock } from "node:test";
import fc from "fast-check";
import { RateLimit, TokenBucket } from "../../src/policy/token-bucket.js";

/** How many of `count` back-to-back takes at `nowMs` succeed. */
function takeMany(bucket: TokenBucket, nowMs: number, count: number): number {
  let taken = 0;
  for (let i = 0; i < count; i++) if (bucket.take(nowMs)) taken++;
  return taken;
}

describe("TokenBucket", () => {
  it("starts full: allows `burst` requests at once and no more", () => {
    const bucket = new TokenBucket(new RateLimit(10, 5));
    assert.equal(takeMany(bucket, 1000, 20), 5);
    assert.equal(bucket.msUntilNextToken(1000), 100);
  });

  it("defaults the burst to the rate, and to at least one", () => {
    assert.equal(new RateLimit(10).burst, 10);
    assert.equal(new RateLimit(2.5).burst, 3);
    assert.equal(new RateLimit(0.1).burst, 1);
  });

  it("refills at the rate, one token per interval, up to the burst", () => {
    const bucket = new TokenBucket(new RateLimit(4, 2)); // one token per 250 ms
    assert.equal(takeMany(bucket, 0, 2), 2);
    assert.equal(bucket.take(249), false);
    assert.equal(bucket.take(250), true);
    assert.equal(bucket.take(250), false);
    // A long idle time refills to the burst, not beyond.
    assert.equal(takeMany(bucket, 60_000, 10), 2);
  });

  it("sustains exactly the rate under constant pressure", () => {
    const bucket = new TokenBucket(new RateLimit(3, 1));
    let served = 0;
    for (let ms = 0; ms < 10_000; ms++) if (bucket.take(ms)) served++;
    // 10 s at 3/s, plus the first token at t=0.
    assert.equal(served, 30);
  });

  it("says how long until a token in whole ms, and a take then succeeds", () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0.01, max: 5000, noNaN: true }),
        fc.integer({ min: 1, max: 50 }),
        fc.array(fc.integer({ min: 0, max: 5000 }), { minLength: 1, maxLength: 30 }),
        (rate, burst, gaps) => {
          const bucket = new TokenBucket(new RateLimit(rate, burst));
          let now = 1_000_000;
          for (const gap of gaps) {
            now += gap;
            while (bucket.take(now)) {}
            const wait = bucket.msUntilNextToken(now);
            assert.ok(Number.isInteger(wait) && wait >= 1, `wait ${wait}`);
            assert.equal(bucket.take(now + wait - 1), false, "no token a ms early");
            assert.equal(bucket.take(now + wait), true, "a token when promised");
            now += wait;
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it("counts a clock that goes backwards as standing still: no refill, no ban", () => {
    const bucket = new TokenBucket(new RateLimit(1, 2));
    assert.equal(takeMany(bucket, 10_000, 2), 2);
    // Backwards by an hour: nothing refilled, and the wait is not an hour longer.
    assert.equal(bucket.take(10_000 - 3_600_000), false);
    assert.equal(bucket.msUntilNextToken(10_000 - 3_600_000), 1000);
    assert.equal(bucket.take(11_000), true);
  });

  it("depends only on the monotonic time it is given, not on the wall clock", () => {
    mock.timers.enable({ apis: ["Date"], now: 1_700_000_000_000 });
    try {
      const bucket = new TokenBucket(new RateLimit(1, 3));
      assert.equal(takeMany(bucket, 500, 3), 3);
      // The wall clock jumps a day forward: still empty at the same monotonic time.
      mock.timers.setTime(Date.now() + 86_400_000);
      assert.equal(bucket.take(500), false);
      // ...and a day back: one monotonic second later, exactly one token.
      mock.timers.setTime(Date.now() - 2 * 86_400_000);
      assert.equal(takeMany(bucket, 1500, 3), 1);
    } finally {
      mock.timers.reset();
    }
  });

  it("reports its tokens and whether it is full", () => {
    const bucket = new TokenBucket(new RateLimit(2, 4));
    assert.equal(bucket.isFull(0), true);
    bucket.take(0);
    bucket.take(0);
    assert.equal(bucket.tokens(0), 2);
    assert.equal(bucket.tokens(250), 2.5);
    assert.equal(bucket.isFull(999), false);
    assert.equal(bucket.isFull(1000), true);
  });

  it("refuses nonsense limits", () => {
    assert.throws(() => new RateLimit(0), RangeError);
    assert.throws(() => new RateLimit(-1), RangeError);
    assert.throws(() => new RateLimit(Number.NaN), RangeError);
    assert.throws(() => new RateLimit(10, 0), RangeError);
    assert.throws(() => new RateLimit(10, 1.5), RangeError);
  });
});
