/**
 * rr mode: a closed loop on persistent connections. Each connection keeps
 * `pipeline` TIME requests in flight: the first `pipeline` go out in one
 * write, then every read that completes m replies sends m new requests in
 * one write, so the server is never left idle waiting for a whole batch.
 *
 * Per request there is no allocation, closure or timer: requests are slices
 * of one constant buffer, send times live in a small ring per connection
 * (one entry per write, with its request count), and a whole read is timed
 * with a single clock reading.
 */

import type { Socket } from "node:net";
import { performance } from "node:perf_hooks";
import { ReplyReader } from "../protocols/line/reply-reader.js";
import { repeatRequest, TIME_REQUEST_BYTES } from "../protocols/line/requests.js";
import type { BenchOptions } from "./bench-options.js";
import { connectBenchSocket, inBatches, quitAll, settled } from "./bench-socket.js";
import type { LoadCounters } from "./load-counters.js";
import { measurementWindow } from "./measurement-window.js";

const CONNECT_BATCH = 500;
/** Pause before replacing a lost connection, so a dead server is not hammered in a tight loop. */
const RECONNECT_DELAY_MS = 100;

const kConnection = Symbol("timebench.rr");
type RrSocket = Socket & { [kConnection]?: RrConnection };

class RrLoad {
  /** `requests[k]`: k requests back to back, for one write. */
  readonly requests: Buffer[] = [];
  readonly connections: RrConnection[] = [];

  constructor(
    readonly options: BenchOptions,
    readonly counters: LoadCounters,
  ) {
    const all = repeatRequest(TIME_REQUEST_BYTES, options.pipeline);
    for (let k = 0; k <= options.pipeline; k++) {
      this.requests.push(all.subarray(0, k * TIME_REQUEST_BYTES.length));
    }
  }
}

class RrConnection {
  socket: Socket | undefined;
  private connected = false;
  private replies = new ReplyReader();
  private badSeen = 0;
  private inFlight = 0;
  /** Ring of writes in flight: when each was sent and how many requests it held. */
  private readonly sentAt: Float64Array;
  private readonly sentCount: Int32Array;
  private head = 0;
  private tail = 0;

  constructor(readonly load: RrLoad) {
    this.sentAt = new Float64Array(load.options.pipeline);
    this.sentCount = new Int32Array(load.options.pipeline);
  }

  connect(): Socket {
    const { host, port } = this.load.options;
    const socket = connectBenchSocket(host, port, onRrRead) as RrSocket;
    socket[kConnection] = this;
    socket.on("connect", onRrConnect);
    socket.on("error", onRrError);
    socket.on("close", onRrClose);
    this.socket = socket;
    this.replies = new ReplyReader();
    this.badSeen = 0;
    this.inFlight = 0;
    this.head = 0;
    this.tail = 0;
    return socket;
  }

  opened(): void {
    this.connected = true;
    this.load.counters.open++;
    if (this.load.counters.phase !== "connecting") this.start();
  }

  /** Fill the pipeline; called when connected and the run has begun. */
  start(): void {
    if (this.connected && this.inFlight === 0) {
      this.send(this.load.options.pipeline, performance.now());
    }
  }

  received(bytes: Buffer, length: number): void {
    const counters = this.load.counters;
    if (counters.done) return; // the run is over: replies to requests in flight are not judged
    const replies = this.replies;
    replies.receiveData(bytes, 0, length);
    const count = replies.takeReplies();
    // An over-long line ends the reading: the connection is of no more use.
    if (replies.isClosed) this.socket?.destroy();
    if (count === 0) return;
    if (replies.badReplies !== this.badSeen) {
      counters.badReplies += replies.badReplies - this.badSeen;
      this.badSeen = replies.badReplies;
    }
    let answered = count;
    if (answered > this.inFlight) {
      // Replies nobody asked for are wrong too.
      counters.badReplies += answered - this.inFlight;
      answered = this.inFlight;
    }
    const now = performance.now();
    this.settle(answered, counters.complete(answered), now);
    if (!counters.done && answered > 0) this.send(answered, now);
  }

  /** Retire the `answered` oldest requests, recording latency for the first `counted`. */
  private settle(answered: number, counted: number, now: number): void {
    const latency = this.load.counters.latency;
    const capacity = this.sentAt.length;
    this.inFlight -= answered;
    let left = answered;
    let toRecord = counted;
    while (left > 0) {
      const batch = this.sentCount[this.head] as number;
      const take = Math.min(batch, left);
      if (toRecord > 0) {
        const recorded = Math.min(take, toRecord);
        latency.record(now - (this.sentAt[this.head] as number), recorded);
        toRecord -= recorded;
      }
      if (take === batch) this.head = (this.head + 1) % capacity;
      else this.sentCount[this.head] = batch - take;
      left -= take;
    }
  }

  private send(count: number, now: number): void {
    this.sentAt[this.tail] = now;
    this.sentCount[this.tail] = count;
    this.tail = (this.tail + 1) % this.sentAt.length;
    this.inFlight += count;
    (this.socket as Socket).write(this.load.requests[count] as Buffer);
  }

  closed(hadError: boolean): void {
    const { counters } = this.load;
    if (this.connected) counters.open--;
    this.connected = false;
    this.socket = undefined;
    if (counters.done) return;
    // An error was counted by its 'error' event; a quiet close was not asked for either.
    if (!hadError) counters.errors++;
    setTimeout(() => {
      if (!counters.done) this.connect();
    }, RECONNECT_DELAY_MS);
  }
}

function onRrRead(this: Socket, length: number, bytes: Buffer): boolean {
  (this as RrSocket)[kConnection]?.received(bytes, length);
  return true;
}

function onRrConnect(this: Socket): void {
  (this as RrSocket)[kConnection]?.opened();
}

function onRrError(this: Socket): void {
  const connection = (this as RrSocket)[kConnection];
  if (connection !== undefined && !connection.load.counters.done) {
    connection.load.counters.errors++;
  }
}

function onRrClose(this: Socket, hadError: boolean): void {
  (this as RrSocket)[kConnection]?.closed(hadError);
}

/** Run rr load until the window closes; resolves with the measured seconds. */
export async function runRrLoad(options: BenchOptions, counters: LoadCounters): Promise<number> {
  const load = new RrLoad(options, counters);
  for (let i = 0; i < options.connections; i++) load.connections.push(new RrConnection(load));
  await inBatches(
    options.connections,
    CONNECT_BATCH,
    (index) => settled((load.connections[index] as RrConnection).connect()),
    () => options.signal?.aborted === true,
  );
  const window = measurementWindow(counters, options);
  for (const connection of load.connections) connection.start();
  const seconds = await window;
  await quitAll(load.connections.map((connection) => connection.socket));
  return seconds;
}
