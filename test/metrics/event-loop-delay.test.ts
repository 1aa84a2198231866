import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { setTimeout as delay } from "node:timers/promises";
import { CounterRegistry } from "../../src/metrics/counters.js";
import { eventLoopDelayGauges } from "../../src/metrics/event-loop-delay.js";
import { ManualClock } from "../helpers/manual-clock.js";

/** "worker/p99" → value, from the three gauges. */
function quantiles(registry: CounterRegistry): Record<string, number> {
  const seen: Record<string, number> = {};
  for (const family of registry.snapshot()) {
    const quantile = /^timeserver_event_loop_delay_(p50|p99|max)_seconds$/.exec(family.name)?.[1];
    if (quantile === undefined) continue;
    assert.equal(family.type, "gauge");
    for (const sample of family.samples) seen[`${sample.labels.worker}/${quantile}`] = sample.value;
  }
  return seen;
}

describe("eventLoopDelayGauges", () => {
  it("shows 0 until a window ends, then the window's quantiles, in order, with the given labels", async () => {
    const registry = new CounterRegistry();
    const clock = new ManualClock();
    eventLoopDelayGauges(registry, clock, { worker: "3" });
    assert.deepEqual(quantiles(registry), { "3/p50": 0, "3/p99": 0, "3/max": 0 });
    // Let the sampling timer (10 ms) run a few times, then end the window.
    await delay(50);
    clock.advance(10_000);
    const seen = quantiles(registry);
    const [p50, p99, max] = [seen["3/p50"], seen["3/p99"], seen["3/max"]] as [
      number,
      number,
      number,
    ];
    assert.ok(p50 > 0 && Number.isFinite(max), JSON.stringify(seen));
    assert.ok(p50 <= p99 && p99 <= max, JSON.stringify(seen));
  });
});
