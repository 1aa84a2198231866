/**
 * A Destination wired to a fake writer, clock, end-of-turn scheduler and
 * timers, so tests decide when the output makes progress and what time it is.
 */

import {
  Destination,
  type DestinationOptions,
  type OutputWriter,
} from "../../src/logging/destination.js";

export class FakeWriter implements OutputWriter {
  /** Every chunk handed to the writer, in order. */
  readonly chunks: string[] = [];
  /** "accept": written at once; "hold": done only when `release` is called; "lose": reader gone. */
  mode: "accept" | "hold" | "lose" = "accept";
  private held: (() => void) | undefined;

  write(chunk: Buffer, done: (lost: boolean) => void): void {
    this.chunks.push(chunk.toString());
    if (this.mode === "accept") done(false);
    else if (this.mode === "lose") done(true);
    else this.held = () => done(false);
  }

  finishSync(): boolean {
    return this.held === undefined;
  }

  /** Complete the write in flight (the reader made room). */
  release(): void {
    const held = this.held;
    this.held = undefined;
    held?.();
  }

  /** Everything written, as the reader sees it (a held chunk is not written yet). */
  get written(): string {
    return (this.held === undefined ? this.chunks : this.chunks.slice(0, -1)).join("");
  }
}

export interface FakeOutput {
  destination: Destination;
  writer: FakeWriter;
  /** Advance the fake clock. */
  advance(ms: number): void;
  /** Run the end-of-turn flush, if one is scheduled. */
  endTurn(): void;
  /** Fire every timer started (close's budget). */
  fireTimers(): void;
}

export function fakeOutput(options: Partial<DestinationOptions> = {}): FakeOutput {
  const writer = new FakeWriter();
  let clock = 0;
  let turnEnd: (() => void) | undefined;
  const timers = new Set<() => void>();
  const destination = new Destination({
    writer,
    now: () => clock,
    scheduleTurnEnd: (flush) => {
      turnEnd = flush;
    },
    startTimer: (fire) => {
      timers.add(fire);
      return () => timers.delete(fire);
    },
    ...options,
  });
  destination.formatNotice = (message) => `NOTICE ${message}\n`;
  return {
    destination,
    writer,
    advance: (ms) => {
      clock += ms;
    },
    endTurn: () => {
      const flush = turnEnd;
      turnEnd = undefined;
      flush?.();
    },
    fireTimers: () => {
      for (const fire of [...timers]) {
        timers.delete(fire);
        fire();
      }
    },
  };
}
