import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { addStats, CounterTotals } from "../../src/cluster/counter-totals.js";
import { emptyStats, type ServerStats } from "../../src/server/session-host.js";

function stats(values: Partial<ServerStats>): ServerStats {
  return { ...emptyStats(), ...values };
}

describe("cluster counter totals", () => {
  it("adds counter by counter", () => {
    const into = stats({ accepted: 1, rejected: 2, timeRequests: 3, quitRequests: 4 });
    addStats(into, stats({ accepted: 10, rejected: 20, timeRequests: 30, invalidRequests: 50 }));
    assert.deepEqual(into, {
      accepted: 11,
      rejected: 22,
      timeRequests: 33,
      quitRequests: 4,
      invalidRequests: 50,
    });
  });

  it("is all zeros before any report", () => {
    assert.deepEqual(new CounterTotals().totals(), emptyStats());
  });

  it("sums the latest report of each worker; a new report replaces the worker's last", () => {
    const totals = new CounterTotals();
    totals.report(1, stats({ accepted: 2, timeRequests: 5 }));
    totals.report(2, stats({ accepted: 1, timeRequests: 1, rejected: 1 }));
    totals.report(1, stats({ accepted: 3, timeRequests: 9 }));
    assert.deepEqual(totals.totals(), stats({ accepted: 4, timeRequests: 10, rejected: 1 }));
  });

  it("keeps the last report of a worker that exited, and adds its successor's on top", () => {
    const totals = new CounterTotals();
    totals.report(1, stats({ accepted: 5, timeRequests: 50, quitRequests: 5 }));
    totals.report(2, stats({ accepted: 1, invalidRequests: 2 }));
    totals.retire(1);
    assert.deepEqual(
      totals.totals(),
      stats({ accepted: 6, timeRequests: 50, quitRequests: 5, invalidRequests: 2 }),
    );
    // The replacement takes over id 1 and counts from zero.
    totals.report(1, stats({ accepted: 1, timeRequests: 2 }));
    assert.deepEqual(
      totals.totals(),
      stats({ accepted: 7, timeRequests: 52, quitRequests: 5, invalidRequests: 2 }),
    );
  });

  it("ignores retiring a worker that never reported", () => {
    const totals = new CounterTotals();
    totals.report(2, stats({ accepted: 1 }));
    totals.retire(1);
    totals.retire(1);
    assert.deepEqual(totals.totals(), stats({ accepted: 1 }));
  });

  it("keeps its own copies: later changes to a report or to the totals do not leak in", () => {
    const totals = new CounterTotals();
    const report = stats({ accepted: 1 });
    totals.report(1, report);
    report.accepted = 100;
    totals.totals().accepted = 1000;
    assert.equal(totals.totals().accepted, 1);
  });
});
