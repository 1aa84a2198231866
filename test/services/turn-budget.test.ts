import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { TurnBudget } from "../../src/services/turn-budget.js";
import { ManualClock } from "../helpers/manual-clock.js";

describe("TurnBudget", () => {
  it("allows work until the turn's slice of time is used up", () => {
    const clock = new ManualClock();
    const budget = new TurnBudget(clock, 4);
    for (let i = 0; i < 1000; i++) assert.equal(budget.spend(), true);
    clock.advance(4);
    let refused = 0;
    for (let i = 0; i < 64; i++) if (!budget.spend()) refused++;
    assert.equal(refused, 1, "the clock is read once per 64 units");
  });

  it("resumes deferred work at the next turn, in order, with a fresh slice", async () => {
    const clock = new ManualClock();
    const budget = new TurnBudget(clock, 4);
    for (let i = 0; i < 64; i++) budget.spend();
    clock.advance(5);
    const order: number[] = [];
    const resumed = new Promise<void>((resolve) => {
      budget.defer({ resumeWork: () => order.push(1) });
      budget.defer({
        resumeWork: () => {
          order.push(2);
          resolve();
        },
      });
    });
    assert.equal(budget.waiting, 2);
    await resumed;
    assert.deepEqual(order, [1, 2]);
    assert.equal(budget.waiting, 0);
    for (let i = 0; i < 128; i++)
      assert.equal(budget.spend(), true, "the new turn has a fresh slice");
  });
});
