import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { PerSecondCache } from "../../src/clock/per-second-cache.js";
import { daytimeFormatter, encodeDaytime } from "../../src/protocols/daytime.js";

describe("PerSecondCache", () => {
  it("makes the value once per second and returns the same one within it", () => {
    const utc = daytimeFormatter("UTC");
    let calls = 0;
    const cache = new PerSecondCache((ms) => {
      calls++;
      return encodeDaytime(ms, utc);
    });
    const base = Date.parse("2026-11-26T14:15:16Z");
    const first = cache.at(base);
    assert.equal(cache.at(base + 999), first);
    assert.equal(calls, 1);
    assert.equal(first.toString("latin1"), "Thursday, November 26, 2026 14:15:16-UTC\r\n");
  });

  it("makes each value from the start of its second", () => {
    const starts: number[] = [];
    const cache = new PerSecondCache((ms) => starts.push(ms));
    const base = Date.parse("2026-11-26T14:15:16Z");
    cache.at(base + 999);
    cache.at(base + 1000);
    assert.deepEqual(starts, [base, base + 1000]);
  });

  it("moves on exactly at the second boundary, both ways", () => {
    const utc = daytimeFormatter("UTC");
    const cache = new PerSecondCache((ms) => encodeDaytime(ms, utc));
    const base = Date.parse("2026-11-26T14:15:16Z");
    cache.at(base + 999);
    assert.match(cache.at(base + 1000).toString("latin1"), / 14:15:17-UTC\r\n$/);
    assert.match(cache.at(base - 1).toString("latin1"), / 14:15:15-UTC\r\n$/);
  });
});
