/**
 * Overlapping scrapes under --workers: each waits for the answers to its own
 * requests. Keyed by worker, a newer scrape's waiter replaced the older
 * one's, which could then only end by the timeout; here the timeout is an
 * hour, so that scrape would never end, and the test's own timeout fails it.
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { CounterExchange } from "../../src/cluster/counter-exchange.js";
import { CounterRegistry, type MetricsSnapshot, totalOf } from "../../src/metrics/counters.js";

function report(accepted: number): MetricsSnapshot {
  const registry = new CounterRegistry();
  registry.counter("timeserver_connections_accepted_total", "accepted").value = accepted;
  return registry.snapshot();
}

describe("CounterExchange with overlapping scrapes", () => {
  it("answers every scrape once its own requests are answered, whatever the order", {
    timeout: 10_000,
  }, async () => {
    const exchange = new CounterExchange(3_600_000);
    const asked: [number, number][] = [];
    const ask = (workerId: number, id: number) => asked.push([workerId, id]);
    const older = exchange.fresh([1, 2], ask);
    const newer = exchange.fresh([1, 2], ask);
    assert.equal(asked.length, 4);
    // The workers answer the newer requests first, then the older ones.
    for (const [workerId, id] of [...asked].reverse()) exchange.received(workerId, id, report(id));
    const [a, b] = await Promise.all([older, newer]);
    assert.equal(totalOf(a, "timeserver_connections_accepted_total"), 1 + 2);
    assert.equal(totalOf(b, "timeserver_connections_accepted_total"), 1 + 2);
  });
});
