import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  CounterRegistry,
  isMetricsSnapshot,
  sumSnapshots,
  totalOf,
} from "../../src/metrics/counters.js";

describe("CounterRegistry", () => {
  it("gives the same series for the same name and labels, in any label order", () => {
    const registry = new CounterRegistry();
    const a = registry.counter("x_total", "x", { protocol: "line", result: "time" });
    const b = registry.counter("x_total", "x", { result: "time", protocol: "line" });
    assert.equal(a, b);
    a.value++;
    b.inc(2);
    assert.equal(registry.total("x_total"), 3);
  });

  it("refuses a bad name and a type clash", () => {
    const registry = new CounterRegistry();
    registry.counter("c_total", "c");
    assert.throws(() => registry.gauge("c_total", "c"), RangeError);
    assert.throws(() => registry.counter("no-dashes", "x"), RangeError);
  });

  it("snapshots values as plain data, reading function gauges at that moment", () => {
    const registry = new CounterRegistry();
    let size = 5;
    registry.gaugeFunction("table_size", "size", { table: "a" }, () => size);
    registry.counter("hits_total", "hits", { kind: "x" }).value = 7;
    const first = registry.snapshot();
    size = 9;
    assert.equal(totalOf(first, "table_size"), 5);
    assert.equal(registry.total("table_size"), 9);
    assert.ok(isMetricsSnapshot(JSON.parse(JSON.stringify(first))));
  });

  it("sums snapshots from several processes by name and labels", () => {
    const one = new CounterRegistry();
    const two = new CounterRegistry();
    one.counter("r_total", "r", { result: "time" }).value = 2;
    two.counter("r_total", "r", { result: "time" }).value = 3;
    two.counter("r_total", "r", { result: "quit" }).value = 1;
    const sum = sumSnapshots([one.snapshot(), two.snapshot()]);
    assert.equal(totalOf(sum, "r_total", { result: "time" }), 5);
    assert.equal(totalOf(sum, "r_total"), 6);
  });

  it("tells junk from a snapshot", () => {
    for (const junk of [null, {}, [{ name: "x" }], [{ name: "x", type: "summary", samples: [] }]]) {
      assert.equal(isMetricsSnapshot(junk), false);
    }
  });
});
