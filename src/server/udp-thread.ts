/**
 * `--udp-thread`: the UDP listeners (daytime, RFC 868, SNTP) in a
 * worker_thread with an event loop of their own, so no TCP work (a saturated
 * line protocol, TLS handshakes, a log flood) stands between a datagram and
 * its reply. The thread runs a ServerRuntime that builds only the UDP
 * listeners (udp-thread-worker.ts); this side is one Listener of the main
 * runtime: it starts the thread, learns when it listens or why it cannot,
 * keeps its latest counters (sent every second and at the end) for the
 * metrics, and stops it.
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
  | { type: "counters"; snapshot: MetricsSnapshot }
  | { type: "closed" };

export interface UdpThreadData {
  config: ServerConfig;
  inherited: readonly InheritedSocket[];
}

const WORKER = new URL("./udp-thread-worker.js", import.meta.url);

export class UdpThread {
  readonly name = "udp";
  private worker: Worker | undefined;
  private addresses: AddressInfo[] = [];
  private latest: MetricsSnapshot = [];
  private closed: (() => void) | undefined;

  constructor(
    private readonly config: ServerConfig,
    private readonly inherited: readonly InheritedSocket[],
  ) {}

  /** The thread's counters as of its latest report. */
  snapshot(): MetricsSnapshot {
    return this.latest;
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
      worker.postMessage({ type: "close" });
    });
  }
}
