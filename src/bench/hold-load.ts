/**
 * hold mode: open `connections` connections (in batches, as a crowd of real
 * clients would arrive), leave them idle for the hold time, then ask every
 * one the time, in quick batches of writes with reads in between. A server
 * that drops idle connections, runs out of descriptors or starves some of
 * them shows up as `failed`.
 */

import type { Socket } from "node:net";
import { performance } from "node:perf_hooks";
import { ReplyReader } from "../protocols/line/reply-reader.js";
import { TIME_REQUEST_BYTES } from "../protocols/line/requests.js";
import type { BenchOptions } from "./bench-options.js";
import { connectBenchSocket, inBatches, quitAll, settled } from "./bench-socket.js";
import type { LoadCounters } from "./load-counters.js";

const CONNECT_BATCH = 500;
/** TIME requests written before reading replies again. */
const ASK_BATCH = 500;
/** How long, after asking, a held connection may take to answer before it counts as failed. */
const ANSWER_TIMEOUT_MS = 10_000;

const kHeld = Symbol("timebench.hold");
type HoldSocket = Socket & { [kHeld]?: HeldConnection };

export interface HoldOutcome {
  /** From the first TIME sent to the last answer, in seconds. */
  seconds: number;
  /** Replies received, good or bad. */
  replies: number;
  held: number;
  answered: number;
}

class HoldLoad {
  /** Set once every held connection has been asked. */
  allAsked = false;
  /** Asked connections that have not answered, failed or closed yet. */
  outstanding = 0;
  replies = 0;
  answered = 0;
  lastAnswerAt = 0;
  onSettled: () => void = () => {};

  constructor(
    readonly options: BenchOptions,
    readonly counters: LoadCounters,
  ) {}

  /** One asked connection is finished with, one way or another. */
  settle(): void {
    this.outstanding--;
    if (this.allAsked && this.outstanding === 0) this.onSettled();
  }
}

class HeldConnection {
  socket: Socket | undefined;
  private readonly replies = new ReplyReader();
  private state: "opening" | "open" | "asked" | "done" = "opening";
  private askedAt = 0;

  constructor(readonly load: HoldLoad) {}

  get isOpen(): boolean {
    return this.state === "open";
  }

  connect(): Socket {
    const { host, port } = this.load.options;
    const socket = connectBenchSocket(host, port, onHeldRead) as HoldSocket;
    socket[kHeld] = this;
    socket.on("connect", onHeldConnect);
    socket.on("error", onHeldError);
    socket.on("close", onHeldClose);
    this.socket = socket;
    return socket;
  }

  opened(): void {
    this.state = "open";
    this.load.counters.open++;
  }

  /** Send TIME, if the connection is still open. */
  ask(): void {
    if (this.state !== "open" || this.socket === undefined) return;
    this.state = "asked";
    this.load.outstanding++;
    this.askedAt = performance.now();
    this.socket.write(TIME_REQUEST_BYTES);
  }

  received(bytes: Buffer, length: number): void {
    this.replies.receiveData(bytes, 0, length);
    const count = this.replies.takeReplies();
    if (count === 0) return;
    const { load } = this;
    const { counters } = load;
    if (this.state !== "asked") {
      // Spoken to before being asked, or more than once: every such reply is wrong.
      counters.badReplies += count;
      return;
    }
    this.state = "done";
    load.replies++;
    // One TIME asks for exactly one reply: several at once are all wrong.
    if (count === 1 && this.replies.badReplies === 0) {
      const now = performance.now();
      load.answered++;
      load.lastAnswerAt = now;
      counters.complete(1);
      counters.latency.record(now - this.askedAt);
    } else {
      counters.badReplies += count;
    }
    load.settle();
  }

  closed(hadError: boolean): void {
    const { load } = this;
    const { counters } = load;
    if (this.state !== "opening") counters.open--;
    this.socket = undefined;
    const wasAsked = this.state === "asked";
    this.state = "done";
    if (counters.done) return;
    if (!hadError) counters.errors++;
    if (wasAsked) load.settle();
  }
}

function onHeldRead(this: Socket, length: number, bytes: Buffer): boolean {
  (this as HoldSocket)[kHeld]?.received(bytes, length);
  return true;
}

function onHeldConnect(this: Socket): void {
  (this as HoldSocket)[kHeld]?.opened();
}

function onHeldError(this: Socket): void {
  const connection = (this as HoldSocket)[kHeld];
  if (connection !== undefined && !connection.load.counters.done) {
    connection.load.counters.errors++;
  }
}

function onHeldClose(this: Socket, hadError: boolean): void {
  (this as HoldSocket)[kHeld]?.closed(hadError);
}

function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Resolves after `ms`, or at once when `signal` aborts. */
function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
  });
}

export async function runHoldLoad(
  options: BenchOptions,
  counters: LoadCounters,
): Promise<HoldOutcome> {
  const load = new HoldLoad(options, counters);
  const connections: HeldConnection[] = [];
  for (let i = 0; i < options.connections; i++) connections.push(new HeldConnection(load));
  const aborted = () => options.signal?.aborted === true;

  counters.phase = "connecting";
  await inBatches(
    options.connections,
    CONNECT_BATCH,
    (index) => settled((connections[index] as HeldConnection).connect()),
    aborted,
  );
  counters.phase = "holding";
  await pause(options.holdSeconds * 1000, options.signal);

  counters.phase = "answering";
  counters.measuring = true;
  const held = connections.filter((connection) => connection.isOpen);
  // The wait for answers ends at the last answer, the timeout or the caller's abort.
  const allSettled = new AbortController();
  const abort = () => allSettled.abort();
  load.onSettled = abort;
  options.signal?.addEventListener("abort", abort, { once: true });
  const askedAt = performance.now();
  for (let index = 0; index < held.length && !aborted(); index++) {
    (held[index] as HeldConnection).ask();
    // Let replies in between batches, so a latency is the server's, not the wait for this loop.
    if ((index + 1) % ASK_BATCH === 0) await nextTurn();
  }
  load.allAsked = true;
  if (load.outstanding > 0 && !aborted()) await pause(ANSWER_TIMEOUT_MS, allSettled.signal);
  options.signal?.removeEventListener("abort", abort);

  counters.done = true;
  await quitAll(connections.map((connection) => connection.socket));
  const lastAt = load.answered > 0 ? load.lastAnswerAt : askedAt;
  return {
    seconds: (lastAt - askedAt) / 1000,
    replies: load.replies,
    held: held.length,
    answered: load.answered,
  };
}
