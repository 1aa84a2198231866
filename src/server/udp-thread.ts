/**
 * `--udp-thread`: the UDP listeners (daytime, RFC 868, SNTP) in a
 * worker_thread with an event loop of their own, so no TCP work (a saturated
 * line protocol, TLS handshakes, a log flood) stands between a datagram and
 * its reply. The thread runs a ServerRuntime that builds only the UDP
 * listeners (udp-thread-worker.ts); this side is one Listener of the main
 * runtime: it starts the thread, learns when it listens or why it cannot,
 * asks it for its counters when the metrics are scraped (`fresh()`, keyed by
 * request with a bounded wait, as cluster/counter-exchange.ts asks workers),
 * keeps its latest ones (also sent every second and at the end), and stops it.
 *
 * What the thread keeps apart: its own rate-limit table (an address's UDP
 * requests share one bucket, apart from its TCP requests) and its own log
 * writer (whole lines, written atomically to the same stdout).
 */

import type { AddressInfo } from "node:net";
import { Worker } from "node:worker_threads";
import type { InheritedSocket } from "../config/inherited-sockets.js";
import type { ServerConfig } from "../config/server-config.js";
import { TimeServerError } from "../errors.js";
import type { MetricsSnapshot } from "../metrics/counters.js";

/** What the thread tells the main thread. */
export type UdpThreadMessage =
  | { type: "listening"; addresses: AddressInfo[] }
  | { type: "failed"; code: string; message: string }
  /** `id` answers a "report" request; without one, the thread's own periodic or last report. */
  | { type: "counters"; snapshot: MetricsSnapshot; id?: number }
  /** The request `id` is done (a new NTS secret taken). */
  | { type: "done"; id: number }
  | { type: "closed" };

export interface UdpThreadData {
  config: ServerConfig;
  inherited: readonly InheritedSocket[];
}

/** What the main thread tells the thread. */
export type UdpThreadRequest =
  | { type: "report"; id: number }
  | { type: "nts-secret"; id: number; secret: Uint8Array }
  | { type: "close" };

const WORKER = new URL("./udp-thread-worker.js", import.meta.url);

/**
 * How long a scrape waits for the thread's counters before using its latest
 * report: a bound for a thread too busy to answer (as the cluster's
 * REPORT_TIMEOUT_MS), not a pace; an answer normally comes in microseconds.
 */
export const FRESH_TIMEOUT_MS = 1000;

export class UdpThread {
  readonly name = "udp";
  private worker: Worker | undefined;
  private addresses: AddressInfo[] = [];
  private latest: MetricsSnapshot = [];
  private closed: (() => void) | undefined;
  /** Keyed by request, so overlapping scrapes each wait for their own answer. */
  private readonly waiters = new Map<number, () => void>();
  private lastId = 0;

  constructor(
    private readonly config: ServerConfig,
    private readonly inherited: readonly InheritedSocket[],
  ) {}

  /** The thread's counters as of its latest report. */
  snapshot(): MetricsSnapshot {
    return this.latest;
  }

  /**
   * The thread's counters as of now: it is asked for a report, and this
   * resolves when that is in (or with the latest one after FRESH_TIMEOUT_MS,
   * or at once when there is no thread to ask).
   */
  fresh(): Promise<MetricsSnapshot> {
    return this.ask((id) => ({ type: "report", id })).then(() => this.latest);
  }

  /** SIGHUP's new NTS secret; resolves once the thread uses it (or after the same bound). */
  useNtsSecret(secret: Buffer): Promise<void> {
    return this.ask((id) => ({ type: "nts-secret", id, secret }));
  }

  /** Sends a request; resolves on its answer, after FRESH_TIMEOUT_MS, or at once with no thread. */
  private ask(request: (id: number) => UdpThreadRequest): Promise<void> {
    const worker = this.worker;
    if (worker === undefined || this.addresses.length === 0) return Promise.resolve();
    const id = ++this.lastId;
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.answered(id), FRESH_TIMEOUT_MS);
      this.waiters.set(id, () => {
        clearTimeout(timer);
        resolve();
      });
      worker.postMessage(request(id));
    });
  }

  private answered(id: number): void {
    const done = this.waiters.get(id);
    if (done === undefined) return;
    this.waiters.delete(id);
    done();
  }

  listen(): Promise<AddressInfo> {
    const data: UdpThreadData = { config: this.config, inherited: this.inherited };
    const worker = new Worker(WORKER, { workerData: data });
    this.worker = worker;
    return new Promise((resolve, reject) => {
      worker.on("message", (message: UdpThreadMessage) => {
        switch (message.type) {
          case "listening":
            this.addresses = message.addresses;
            resolve(message.addresses[0] as AddressInfo);
            break;
          case "failed":
            reject(new TimeServerError(message.code as "TS_ERR_LISTEN", message.message));
            break;
          case "counters":
            this.latest = message.snapshot;
            if (message.id !== undefined) this.answered(message.id);
            break;
          case "done":
            this.answered(message.id);
            break;
          case "closed":
            break;
        }
      });
      worker.once("error", (error) =>
        reject(new TimeServerError("TS_ERR_LISTEN", `the UDP thread failed: ${error.message}`)),
      );
      worker.once("exit", () => {
        this.worker = undefined;
        // No answer will come: every waiting scrape gets the last report.
        for (const id of [...this.waiters.keys()]) this.answered(id);
        const closing = this.closed;
        if (closing !== undefined) {
          closing();
          return;
        }
        if (this.addresses.length === 0) {
          reject(new TimeServerError("TS_ERR_LISTEN", "the UDP thread exited before listening"));
          return;
        }
        // Not asked to stop: a bug in the thread. Fail as loudly as one in the main thread.
        process.nextTick(() => {
          throw new Error("the UDP thread stopped unexpectedly");
        });
      });
    });
  }

  address(): AddressInfo | null {
    return this.addresses[0] ?? null;
  }

  /** Asks the thread to close its listeners; resolves once it has, with its last counters in. */
  close(): Promise<void> {
    const worker = this.worker;
    if (worker === undefined) return Promise.resolve();
    return new Promise((resolve) => {
      this.closed = () => {
        this.closed = undefined;
        resolve();
      };
      const request: UdpThreadRequest = { type: "close" };
      worker.postMessage(request);
    });
  }
}
