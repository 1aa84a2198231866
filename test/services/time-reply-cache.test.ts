import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { timeOfDayFormatter } from "../../src/clock/time-of-day.js";
import { TimeReplyCache } from "../../src/services/time-reply-cache.js";

describe("TimeReplyCache", () => {
  it("formats once per second and returns the same bytes within it", () => {
    let calls = 0;
    const cache = new TimeReplyCache((ms) => {
      calls++;
      return timeOfDayFormatter("UTC")(ms);
    });
    const base = Date.parse("2026-01-01T10:00:00Z");
    const first = cache.replyAt(base);
    assert.equal(cache.replyAt(base + 999), first);
    assert.equal(calls, 1);
    assert.equal(first.toString("latin1"), "JAM 10:00:00\r\n");
    assert.equal(cache.textAt(base + 500), "JAM 10:00:00");
  });

  it("moves on exactly at the second boundary", () => {
    const cache = new TimeReplyCache(timeOfDayFormatter("UTC"));
    const base = Date.parse("2026-01-01T10:00:00Z");
    cache.replyAt(base + 999);
    assert.equal(cache.replyAt(base + 1000).toString("latin1"), "JAM 10:00:01\r\n");
    assert.equal(cache.replyAt(base - 1).toString("latin1"), "JAM 09:59:59\r\n");
  });

  it("serves a run of replies as copies back to back, short runs from one cached buffer", () => {
    const cache = new TimeReplyCache(timeOfDayFormatter("UTC"));
    const base = Date.parse("2026-01-01T10:00:00Z");
    for (const count of [1, 2, 16, 64, 65, 200]) {
      assert.equal(
        cache.repeatedAt(base, count).toString("latin1"),
        "JAM 10:00:00\r\n".repeat(count),
        `${count}`,
      );
    }
    const three = cache.repeatedAt(base, 3);
    const five = cache.repeatedAt(base, 5);
    assert.ok(
      three.buffer === five.buffer && three.byteOffset === five.byteOffset,
      "one cached run",
    );
    assert.equal(cache.repeatedAt(base + 1000, 2).toString("latin1"), "JAM 10:00:01\r\n".repeat(2));
  });
});
