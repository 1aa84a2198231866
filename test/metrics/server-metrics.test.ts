import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { CounterRegistry, totalOf } from "../../src/metrics/counters.js";
import { processCounters } from "../../src/metrics/server-metrics.js";

describe("processCounters", () => {
  it("reads dropped log lines and clock steps when a snapshot is taken, not before", () => {
    const registry = new CounterRegistry();
    let dropped = 0;
    let steps = 0;
    processCounters(registry, { droppedLogLines: () => dropped, clockSteps: () => steps });
    assert.equal(totalOf(registry.snapshot(), "timeserver_clock_steps_total"), 0);
    dropped = 3;
    steps = 2;
    const snapshot = registry.snapshot();
    assert.equal(totalOf(snapshot, "timeserver_log_lines_dropped_total"), 3);
    assert.equal(totalOf(snapshot, "timeserver_clock_steps_total"), 2);
    assert.equal(
      snapshot.find((family) => family.name === "timeserver_clock_steps_total")?.type,
      "counter",
    );
  });
});
