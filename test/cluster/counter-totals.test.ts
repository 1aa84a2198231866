import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { CounterTotals } from "../../src/cluster/counter-totals.js";
import { CounterRegistry, type MetricsSnapshot, totalOf } from "../../src/metrics/counters.js";

/** A worker's snapshot with `accepted` connections, `time` TIME requests and `active` open now. */
function report(accepted: number, time: number, active = 0): MetricsSnapshot {
  const registry = new CounterRegistry();
  registry.counter("timeserver_connections_accepted_total", "accepted").value = accepted;
  registry.counter("timeserver_requests_total", "requests", { result: "time" }).value = time;
  registry.gauge("timeserver_connections_active", "active").value = active;
  return registry.snapshot();
}

const accepted = (snapshot: MetricsSnapshot) =>
  totalOf(snapshot, "timeserver_connections_accepted_total");
const time = (snapshot: MetricsSnapshot) =>
  totalOf(snapshot, "timeserver_requests_total", { result: "time" });

describe("CounterTotals", () => {
  it("sums the latest report of every worker, whatever the workers count", () => {
    const totals = new CounterTotals();
    totals.report(1, report(2, 5));
    totals.report(2, report(1, 1));
    totals.report(1, report(3, 9));
    assert.equal(accepted(totals.totals()), 4);
    assert.equal(time(totals.totals()), 10);
  });

  it("keeps an exited worker's counters but not its gauges", () => {
    const totals = new CounterTotals();
    totals.report(1, report(5, 50, 7));
    totals.report(2, report(1, 0, 1));
    totals.retire(1);
    const after = totals.totals();
    assert.equal(accepted(after), 6);
    assert.equal(time(after), 50);
    assert.equal(totalOf(after, "timeserver_connections_active"), 1);
    totals.report(1, report(1, 2));
    assert.equal(accepted(totals.totals()), 7);
  });

  it("retiring twice or retiring an unknown worker changes nothing", () => {
    const totals = new CounterTotals();
    totals.report(2, report(1, 0));
    totals.retire(2);
    totals.retire(2);
    totals.retire(9);
    assert.equal(accepted(totals.totals()), 1);
  });
});
