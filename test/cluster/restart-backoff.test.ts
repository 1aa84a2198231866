import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DEFAULT_BACKOFF, RestartBackoff } from "../../src/cluster/restart-backoff.js";

/** Delays for `deaths` workers in a row that each died after `uptimeMs`. */
function delays(backoff: RestartBackoff, deaths: number, uptimeMs = 0): number[] {
  return Array.from({ length: deaths }, () => backoff.delayAfter(uptimeMs));
}

describe("restart back-off", () => {
  it("waits 100 ms, then doubles for each quick death up to 10 s", () => {
    assert.deepEqual(
      delays(new RestartBackoff(), 10),
      [100, 200, 400, 800, 1600, 3200, 6400, 10_000, 10_000, 10_000],
    );
  });

  it("starts over after a worker that stayed up 10 s", () => {
    const backoff = new RestartBackoff();
    delays(backoff, 5);
    assert.equal(backoff.delayAfter(DEFAULT_BACKOFF.stableAfterMs), 100);
    assert.equal(backoff.delayAfter(0), 200);
  });

  it("keeps doubling for a worker that died just short of stable", () => {
    const backoff = new RestartBackoff();
    assert.deepEqual(delays(backoff, 3, DEFAULT_BACKOFF.stableAfterMs - 1), [100, 200, 400]);
  });

  it("follows a custom policy", () => {
    const backoff = new RestartBackoff({ initialMs: 10, maxMs: 35, stableAfterMs: 1000 });
    assert.deepEqual(delays(backoff, 4), [10, 20, 35, 35]);
    assert.equal(backoff.delayAfter(1000), 10);
  });
});
