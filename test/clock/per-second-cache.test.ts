import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DaytimeReplyCache } from "../../src/clock/per-second-cache.js";
import { daytimeFormatter } from "../../src/protocols/daytime.js";

describe("DaytimeReplyCache", () => {
  it("formats once per second and returns the same bytes within it", () => {
    const utc = daytimeFormatter("UTC");
    let calls = 0;
    const cache = new DaytimeReplyCache((ms) => {
      calls++;
      return utc(ms);
    });
    const base = Date.parse("2026-11-26T14:15:16Z");
    const first = cache.replyAt(base);
    assert.equal(cache.replyAt(base + 999), first);
    assert.equal(calls, 1);
    assert.equal(first.toString("latin1"), "Thursday, November 26, 2026 14:15:16-UTC\r\n");
  });

  it("moves on exactly at the second boundary, both ways", () => {
    const cache = new DaytimeReplyCache(daytimeFormatter("UTC"));
    const base = Date.parse("2026-11-26T14:15:16Z");
    cache.replyAt(base + 999);
    assert.match(cache.replyAt(base + 1000).toString("latin1"), / 14:15:17-UTC\r\n$/);
    assert.match(cache.replyAt(base - 1).toString("latin1"), / 14:15:15-UTC\r\n$/);
  });
});
