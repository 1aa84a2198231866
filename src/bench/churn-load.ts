/**
 * churn mode: each of `connections` loops runs whole sessions back to back:
 * connect, TIME, read the reply, QUIT, wait for the server to close. What is
 * measured is what a connection costs the server: sessions per second, and
 * each session's time from connect to close.
 */

import type { Socket } from "node:net";
import { performance } from "node:perf_hooks";
import { ReplyReader } from "../protocols/line/reply-reader.js";
import { QUIT_REQUEST_BYTES, TIME_REQUEST_BYTES } from "../protocols/line/requests.js";
import type { BenchOptions } from "./bench-options.js";
import { connectBenchSocket } from "./bench-socket.js";
import type { LoadCounters } from "./load-counters.js";
import { measurementWindow } from "./measurement-window.js";

/** Pause after a failed session, so a dead server is not hammered in a tight loop. */
const RETRY_DELAY_MS = 100;

const kWorker = Symbol("timebench.churn");
type ChurnSocket = Socket & { [kWorker]?: ChurnWorker };

class ChurnWorker {
  socket: Socket | undefined;
  private startedAt = 0;
  private replies = new ReplyReader();
  /** The session's reply has arrived (good or bad) and QUIT was sent. */
  private answered = false;

  constructor(
    private readonly options: BenchOptions,
    readonly counters: LoadCounters,
  ) {}

  begin(): void {
    if (this.counters.done) return;
    this.startedAt = performance.now();
    this.replies = new ReplyReader();
    this.answered = false;
    const socket = connectBenchSocket(this.options.host, this.options.port, onChurnRead);
    (socket as ChurnSocket)[kWorker] = this;
    socket.on("connect", onChurnConnect);
    socket.on("error", onChurnError);
    socket.on("close", onChurnClose);
    this.socket = socket;
  }

  received(bytes: Buffer, length: number): void {
    const replies = this.replies;
    const badBefore = replies.badReplies;
    replies.receiveData(bytes, 0, length);
    const count = replies.takeReplies();
    if (count === 0) return;
    // One TIME asks for exactly one reply: anything more, or more at once, is all wrong.
    const single = count === 1 && !this.answered;
    this.counters.badReplies += single ? replies.badReplies - badBefore : count;
    if (!this.answered) {
      this.answered = true;
      this.socket?.write(QUIT_REQUEST_BYTES);
    }
  }

  closed(hadError: boolean): void {
    this.socket = undefined;
    const { counters } = this;
    if (counters.done) return;
    if (this.answered && !hadError) {
      if (counters.complete(1) === 1) counters.latency.record(performance.now() - this.startedAt);
      this.begin();
      return;
    }
    // Closed before answering: an error unless its 'error' event already counted it.
    if (!hadError) counters.errors++;
    setTimeout(() => this.begin(), RETRY_DELAY_MS);
  }
}

function onChurnRead(this: Socket, length: number, bytes: Buffer): boolean {
  (this as ChurnSocket)[kWorker]?.received(bytes, length);
  return true;
}

function onChurnConnect(this: Socket): void {
  this.write(TIME_REQUEST_BYTES);
}

function onChurnError(this: Socket): void {
  const worker = (this as ChurnSocket)[kWorker];
  if (worker !== undefined && !worker.counters.done) worker.counters.errors++;
}

function onChurnClose(this: Socket, hadError: boolean): void {
  (this as ChurnSocket)[kWorker]?.closed(hadError);
}

/** Run churn load until the window closes; resolves with the measured seconds. */
export async function runChurnLoad(options: BenchOptions, counters: LoadCounters): Promise<number> {
  const workers: ChurnWorker[] = [];
  for (let i = 0; i < options.connections; i++) workers.push(new ChurnWorker(options, counters));
  const window = measurementWindow(counters, options);
  for (const worker of workers) worker.begin();
  const seconds = await window;
  for (const worker of workers) worker.socket?.destroy();
  return seconds;
}
