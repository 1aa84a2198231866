/**
 * CounterExchange: the primary asks each worker for its counters and the
 * totals are fresh once all have answered; a worker that does not answer is
 * counted from its latest report when the wait runs out.
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

const accepted = (snapshot: MetricsSnapshot) =>
  totalOf(snapshot, "timeserver_connections_accepted_total");

describe("CounterExchange", () => {
  it("resolves with the answers of every worker asked, each answering its own request", async () => {
    const exchange = new CounterExchange();
    exchange.received(1, undefined, report(1));
    exchange.received(2, undefined, report(1));
    const asked: [number, number][] = [];
    const fresh = exchange.fresh([1, 2], (workerId, id) => asked.push([workerId, id]));
    assert.deepEqual(
      asked.map(([workerId]) => workerId),
      [1, 2],
    );
    const [[, first], [, second]] = asked as [[number, number], [number, number]];
    // A periodic report (no id) or an answer to an older request does not count as the answer.
    let resolved = false;
    void fresh.then(() => {
      resolved = true;
    });
    exchange.received(1, undefined, report(5));
    exchange.received(2, second - 100, report(6));
    exchange.received(1, first, report(10));
    await new Promise(setImmediate);
    assert.equal(resolved, false, "worker 2 has not answered yet");
    exchange.received(2, second, report(20));
    assert.equal(accepted(await fresh), 30);
  });

  it("uses the latest report of a worker that does not answer in time", async () => {
    const exchange = new CounterExchange(0);
    exchange.received(1, undefined, report(4));
    const fresh = exchange.fresh([1], () => {});
    assert.equal(accepted(await fresh), 4);
  });

  it("keeps an exited worker's counters in the totals", async () => {
    const exchange = new CounterExchange();
    exchange.received(3, undefined, report(7));
    exchange.retire(3);
    assert.equal(accepted(await exchange.fresh([], () => {})), 7);
  });
});
