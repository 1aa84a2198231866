/**
 * Where log lines wait for the output: an ordered queue in front of one
 * writer, with one write in flight, that never blocks and never loses a line
 * without saying so.
 *
 * - Order: lines leave in the order they were logged, essential or not.
 * - Batching: lines are joined and handed over at the end of the event-loop
 *   turn, or at once when BATCH_BYTES are pending (one turn of pipelined load
 *   can log megabytes; a file can take them as they come).
 * - Bound: past `maxBufferedBytes` waiting, ordinary lines are dropped and
 *   counted. Essential lines (listening, signals, shutdown, errors) are rare
 *   and always queued.
 * - Reporting: drops become a warning line in the log itself, in place of the
 *   gap, at most one a second, with the exact count; `close()` adds the total.
 *
 * No I/O, timers or clock here: the writer, the clock and the end-of-turn
 * scheduler are given (open-output.ts wires the real ones), so tests drive it.
 */

import { logDroppedInAll, logFallingBehind } from "./log-events.js";
import type { LogFields } from "./logger.js";

export const MAX_BUFFERED_BYTES = 8 * 1024 * 1024;
/** Write as soon as this much is pending rather than waiting for the end of the turn. */
export const BATCH_BYTES = 64 * 1024;
/** The largest single write when the output is ours alone. */
const MAX_CHUNK_BYTES = 1024 * 1024;
/** Drop warnings come at most this often. */
export const NOTICE_INTERVAL_MS = 1000;
/** How long `flushSync` and `close` wait for a slow reader before giving up. */
export const CLOSE_BUDGET_MS = 1000;

/** Pipes keep writes up to this size whole (Linux PIPE_BUF). */
export const PIPE_BUF = 4096;

/** One kind of output (file, pipe, socket, terminal). Only one write is ever in flight. */
export interface OutputWriter {
  /**
   * Write all of `chunk`; call `done(lost)` once it is written (false) or can
   * never be (true: reader gone, bad fd). `done` may be called before
   * `write` returns.
   */
  write(chunk: Buffer, done: (lost: boolean) => void): void;
  /**
   * Before exit, with no event loop to wait on: finish the write in flight by
   * `deadline` (on the injected clock). True when nothing is left in flight.
   */
  finishSync(deadline: number): boolean;
}

/** Renders a line the logging layer itself writes (drop warnings, the total), in the log's format. */
export type NoticeFormat = (message: string, fields: LogFields) => string;

export interface DestinationOptions {
  writer: OutputWriter;
  /** Milliseconds, monotonic enough for "once a second". */
  now: () => number;
  /** Run `flush` once at the end of this event-loop turn. */
  scheduleTurnEnd: (flush: () => void) => void;
  /** Run `fire` after `ms` (used only by `close`); returns a cancel function. */
  startTimer: (fire: () => void, ms: number) => () => void;
  maxBufferedBytes?: number;
  batchBytes?: number;
  /**
   * When several processes share the output (cluster workers on one pipe),
   * write whole lines in pieces no larger than this, so the kernel never
   * interleaves one process's line with another's.
   */
  atomicWriteBytes?: number;
}

/** Where a drop warning goes in the queue; its count grows until it is written. */
interface DropNotice {
  count: number;
  since: number;
}

type Entry = string | DropNotice;

export class Destination {
  /** Set by the sink so the layer's own lines look like every other line. */
  formatNotice: NoticeFormat = (message) => `[WARN] ${message}\n`;
  private readonly writer: OutputWriter;
  private readonly now: () => number;
  private readonly scheduleTurnEnd: (flush: () => void) => void;
  private readonly startTimer: (fire: () => void, ms: number) => () => void;
  private readonly maxBufferedBytes: number;
  private readonly batchBytes: number;
  private readonly chunkBytes: number;
  private readonly atomic: boolean;

  private queue: Entry[] = [];
  private head = 0;
  private pendingBytes = 0;
  private scheduled = false;
  private inFlight: { lines: number } | undefined;
  private pumping = false;
  private idleWaiters: (() => void)[] = [];

  private droppedTotal = 0;
  /** Dropped but not yet in any notice (a notice was written less than a second ago). */
  private unreported = 0;
  private unreportedSince = 0;
  private openNotice: DropNotice | undefined;
  private lastNoticeAt = Number.NEGATIVE_INFINITY;

  constructor(options: DestinationOptions) {
    this.writer = options.writer;
    this.now = options.now;
    this.scheduleTurnEnd = options.scheduleTurnEnd;
    this.startTimer = options.startTimer;
    this.maxBufferedBytes = options.maxBufferedBytes ?? MAX_BUFFERED_BYTES;
    this.batchBytes = options.batchBytes ?? BATCH_BYTES;
    this.atomic = options.atomicWriteBytes !== undefined;
    this.chunkBytes = options.atomicWriteBytes ?? MAX_CHUNK_BYTES;
  }

  /** Lines lost since start: dropped at the bound, or refused by a reader that went away. */
  get dropped(): number {
    return this.droppedTotal;
  }

  /** Queue one whole line; false when it was dropped. Essential lines are never dropped. */
  write(line: string, essential = false): boolean {
    if (!essential && this.pendingBytes >= this.maxBufferedBytes) {
      this.noteLost(1);
      return false;
    }
    this.queue.push(line);
    this.pendingBytes += line.length;
    if (this.pendingBytes >= this.batchBytes) this.pump();
    else if (!this.scheduled) {
      this.scheduled = true;
      this.scheduleTurnEnd(this.onTurnEnd);
    }
    return true;
  }

  /**
   * Called about once a second (an unref'd timer): drops that happened just
   * after a notice was written get their own notice now, even if nothing
   * else is logged.
   */
  tick(): void {
    if (this.unreported > 0 && this.now() - this.lastNoticeAt >= NOTICE_INTERVAL_MS) {
      this.queueNotice();
      this.pump();
    }
  }

  /**
   * Write what can be written now, without the event loop, for at most
   * `budgetMs`. A writer that can only finish on the loop (a stream) is left
   * to `close()`.
   */
  flushSync(budgetMs = CLOSE_BUDGET_MS): void {
    const deadline = this.now() + budgetMs;
    while (true) {
      if (this.inFlight !== undefined && !this.writer.finishSync(deadline)) return;
      if (this.inFlight !== undefined || this.queued() === 0) return;
      this.pump();
    }
  }

  /**
   * At shutdown: report drops not yet reported and the total, then wait
   * (at most `budgetMs`) until everything is written. Resolves with the
   * lines that could not be written in time; those are counted as dropped
   * too (the log cannot say so any more).
   */
  async close(budgetMs = CLOSE_BUDGET_MS): Promise<number> {
    if (this.unreported > 0) this.queueNotice();
    if (this.droppedTotal > 0) {
      const notice = logDroppedInAll(this.droppedTotal);
      this.write(this.formatNotice(notice.message, notice.fields), true);
    }
    this.flushSync(0);
    this.pump();
    if (this.inFlight !== undefined || this.queued() > 0) {
      await new Promise<void>((resolve) => {
        const cancel = this.startTimer(resolve, budgetMs);
        this.idleWaiters.push(() => {
          cancel();
          resolve();
        });
      });
    }
    let unwritten = this.inFlight?.lines ?? 0;
    for (let i = this.head; i < this.queue.length; i++) {
      if (typeof this.queue[i] === "string") unwritten++;
    }
    this.droppedTotal += unwritten;
    return unwritten;
  }

  private readonly onTurnEnd = (): void => {
    this.scheduled = false;
    this.pump();
  };

  private noteLost(lines: number): void {
    this.droppedTotal += lines;
    if (this.openNotice !== undefined) {
      this.openNotice.count += lines;
      return;
    }
    if (this.unreported === 0) this.unreportedSince = this.now();
    this.unreported += lines;
    if (this.now() - this.lastNoticeAt >= NOTICE_INTERVAL_MS) this.queueNotice();
  }

  /** A notice at the tail, in place of the gap; later drops add to it until it is written. */
  private queueNotice(): void {
    const notice: DropNotice = { count: this.unreported, since: this.unreportedSince };
    this.unreported = 0;
    this.lastNoticeAt = this.now();
    this.openNotice = notice;
    this.queue.push(notice);
  }

  private renderNotice(notice: DropNotice): string {
    if (notice === this.openNotice) this.openNotice = undefined;
    const seconds = Math.max(this.now() - notice.since, 0) / 1000;
    const { message, fields } = logFallingBehind(notice.count, seconds);
    return this.formatNotice(message, fields);
  }

  /** Hand chunks to the writer while it finishes them at once; stop when one is in flight. */
  private pump(): void {
    if (this.pumping) return;
    this.pumping = true;
    while (this.inFlight === undefined && this.queued() > 0) {
      const { text, logged } = this.takeChunk();
      const flight = { lines: logged };
      this.inFlight = flight;
      this.writer.write(Buffer.from(text), (lost) => this.onWritten(flight, lost));
    }
    this.pumping = false;
    if (this.inFlight === undefined && this.queued() === 0) this.wakeIdle();
  }

  private onWritten(flight: { lines: number }, lost: boolean): void {
    if (this.inFlight !== flight) return;
    this.inFlight = undefined;
    if (lost) this.noteLost(flight.lines);
    this.pump();
  }

  /**
   * Whole lines from the head, up to the chunk size (a longer line goes
   * alone). `logged` leaves out our own notices: only logged lines count as
   * dropped if the chunk is lost.
   */
  private takeChunk(): { text: string; logged: number } {
    let text = "";
    let bytes = 0;
    let lines = 0;
    let logged = 0;
    while (this.head < this.queue.length) {
      const entry = this.queue[this.head] as Entry;
      const line = typeof entry === "string" ? entry : this.renderNotice(entry);
      // Byte-exact only where it matters (atomic pieces); elsewhere the limit is soft.
      const size = this.atomic ? Buffer.byteLength(line) : line.length;
      if (lines > 0 && bytes + size > this.chunkBytes) {
        if (typeof entry !== "string") this.openNotice = entry; // not written yet after all
        break;
      }
      text += line;
      bytes += size;
      lines++;
      this.head++;
      if (typeof entry === "string") {
        this.pendingBytes -= entry.length;
        logged++;
      }
    }
    if (this.head === this.queue.length) {
      this.queue = [];
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    return { text, logged };
  }

  private queued(): number {
    return this.queue.length - this.head;
  }

  private wakeIdle(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const wake of waiters) wake();
  }
}
