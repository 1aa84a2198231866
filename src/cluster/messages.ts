/**
 * What the primary and its workers say to each other over the cluster's IPC
 * channel. Every message is a plain object with a `type`, so it survives the
 * channel's JSON serialisation; incoming ones are checked with the guards
 * below before they are trusted.
 */

import type { InheritedSocket } from "../config/inherited-sockets.js";
import type { ServerConfig } from "../config/server-config.js";
import { isMetricsSnapshot, type MetricsSnapshot } from "../metrics/counters.js";

/** Primary → worker, once, in answer to its hello: who you are and what to serve. */
export interface StartMessage {
  type: "start";
  /** The worker's slot, 1..N; a restarted worker takes over the slot of the one that died. */
  workerId: number;
  config: ServerConfig;
  /**
   * Sockets systemd handed the primary. A worker listens on the same fd
   * numbers, and node:cluster shares the primary's socket behind each with it.
   */
  inherited?: InheritedSocket[];
}

/** Primary → worker: stop accepting, answer what was received, close, then exit. */
export interface DrainMessage {
  type: "drain";
}

/** Primary → worker: send your counters now (a scrape of /metrics is waiting). */
export interface ReportMessage {
  type: "report";
  /** Echoed in the answer, so a periodic report crossing the request is not taken for it. */
  id: number;
}

export type PrimaryMessage = StartMessage | DrainMessage | ReportMessage;

/**
 * Worker → primary, first thing: ready for orders. Node drops a message that
 * arrives before the child has a 'message' listener, and a worker spends a
 * while loading its modules, so the primary sends nothing until it hears this.
 */
export interface HelloMessage {
  type: "hello";
}

/** Worker → primary: the server is listening. */
export interface ListeningMessage {
  type: "listening";
  address: string;
  port: number;
}

/** Worker → primary: the server could not start (the port is taken, ...); `message` is the user-facing line. */
export interface StartFailedMessage {
  type: "start-failed";
  message: string;
}

/** Worker → primary: a snapshot of the worker's counters (periodically, and once more when drained). */
export interface StatsMessage {
  type: "stats";
  metrics: MetricsSnapshot;
  /** The ReportMessage this answers; absent in periodic reports. */
  id?: number;
}

export type WorkerMessage = HelloMessage | ListeningMessage | StartFailedMessage | StatsMessage;

function hasType(value: unknown): value is { type: unknown } {
  return typeof value === "object" && value !== null && "type" in value;
}

export function isPrimaryMessage(value: unknown): value is PrimaryMessage {
  if (!hasType(value)) return false;
  if (value.type === "drain") return true;
  if (value.type === "report") return typeof (value as Partial<ReportMessage>).id === "number";
  if (value.type !== "start") return false;
  const start = value as Partial<StartMessage>;
  return (
    typeof start.workerId === "number" && typeof start.config === "object" && start.config !== null
  );
}

export function isWorkerMessage(value: unknown): value is WorkerMessage {
  if (!hasType(value)) return false;
  switch (value.type) {
    case "hello":
      return true;
    case "listening": {
      const listening = value as Partial<ListeningMessage>;
      return typeof listening.address === "string" && typeof listening.port === "number";
    }
    case "start-failed":
      return typeof (value as Partial<StartFailedMessage>).message === "string";
    case "stats":
      return isMetricsSnapshot((value as Partial<StatsMessage>).metrics);
    default:
      return false;
  }
}
