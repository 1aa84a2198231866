/**
 * A bound on the work one event-loop turn does, so a crowd of busy clients
 * cannot make a turn long. It matters because Node 20's libuv accepts one
 * connection per turn: with turns of seconds (a deep pipeline answered and
 * logged in one go), a newcomer waits behind everyone still in the listen
 * queue. Workers check `spend()` as they go; when the turn's slice of time is
 * used up they stop, `defer()` the rest, and carry on at the next turn, in
 * arrival order, after the loop has polled (and accepted) again.
 */

import type { Clock } from "../clock/clock.js";

export interface DeferredWork {
  /** Carry on with the work that was deferred. */
  resumeWork(): void;
}

/** How often (in units of work) the clock is read; reading it costs more than a unit. */
const CHECK_EVERY = 64;

export class TurnBudget {
  private deadline = -1;
  private spent = 0;
  private queue: DeferredWork[] = [];
  private scheduled = false;

  constructor(
    private readonly clock: Clock,
    /** Milliseconds of work per turn before the rest waits for the next one. */
    readonly sliceMs = 4,
  ) {}

  /** Count one unit of work; false once this turn's slice is used up. */
  spend(): boolean {
    if (++this.spent % CHECK_EVERY !== 0) return true;
    const now = this.clock.monotonic();
    if (this.deadline < 0) {
      this.deadline = now + this.sliceMs;
      this.schedule();
      return true;
    }
    return now < this.deadline;
  }

  /** Run `work.resumeWork()` at the next turn, after the loop has polled again. */
  defer(work: DeferredWork): void {
    this.queue.push(work);
    this.schedule();
  }

  /** Work waiting for a later turn. */
  get waiting(): number {
    return this.queue.length;
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(nextTurn, this);
  }

  /** @internal */
  runTurn(): void {
    this.scheduled = false;
    this.deadline = -1;
    this.spent = 0;
    const queue = this.queue;
    this.queue = [];
    for (let i = 0; i < queue.length; i++) (queue[i] as DeferredWork).resumeWork();
  }
}

function nextTurn(budget: TurnBudget): void {
  budget.runTurn();
}
