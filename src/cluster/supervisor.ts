/**
 * The primary of a cluster: forks one worker per slot, replaces a worker that
 * dies (after a back-off), keeps the cluster's counters, and stops everything
 * on request: drain every worker, wait for each to exit (killing stragglers),
 * and report the totals. A worker that cannot start stops the whole cluster
 * with the worker's error, rather than being restarted forever.
 */

import cluster, { type Worker } from "node:cluster";
import { performance } from "node:perf_hooks";
import { DEFAULTS } from "../config/defaults.js";
import type { InheritedSocket } from "../config/inherited-sockets.js";
import type { ServerConfig } from "../config/server-config.js";
import { TimeServerError } from "../errors.js";
import * as log from "../logging/log-events.js";
import type { Logger } from "../logging/logger.js";
import { type MetricsSnapshot, totalOf } from "../metrics/counters.js";
import { CounterExchange } from "./counter-exchange.js";
import { isWorkerMessage, type PrimaryMessage } from "./messages.js";
import { type BackoffPolicy, DEFAULT_BACKOFF, RestartBackoff } from "./restart-backoff.js";
import { applySchedulingPolicy, schedulingPolicyName } from "./scheduling.js";
import {
  isKeeperHello,
  isKeptMessage,
  KEEPER_ROLE,
  KEEPER_ROLE_VARIABLE,
  type KeepMessage,
} from "./socket-keeper.js";

export interface SupervisorOptions {
  backoff?: BackoffPolicy;
  /**
   * How long draining workers may take before they are killed. A worker
   * destroys its remaining connections after its own close grace (2 s), so
   * one still alive well after that is stuck.
   */
  stopTimeoutMs?: number;
  /** Sockets systemd handed this process, for every worker to serve (the metrics one stays here). */
  inherited?: readonly InheritedSocket[];
  /** Called once, when every worker first listens: the cluster is ready (READY=1 to systemd). */
  onRunning?: () => void;
}

const DEFAULT_STOP_TIMEOUT_MS = DEFAULTS.closeGrace + 3000;
const KEEPER_RESTART_MS = 1000;

/** One worker position, 1..N; a replacement worker takes over the slot of the one that died. */
interface Slot {
  readonly id: number;
  readonly backoff: RestartBackoff;
  worker: Worker | undefined;
  pid: number;
  /** Port the current worker was told to listen on (see portForNewWorker). */
  port: number;
  forkedAt: number;
  /** The worker said hello: it can receive messages. */
  ready: boolean;
  listening: boolean;
  /** Why the current worker could not start, if it said. */
  startFailure: string | undefined;
  restartTimer: NodeJS.Timeout | undefined;
}

type State = "starting" | "running" | "stopping" | "stopped";

export class ClusterSupervisor {
  /** The whole cluster's counters, and the exchange that keeps them fresh. */
  readonly counters = new CounterExchange();
  private readonly slots: Slot[] = [];
  private readonly stopTimeoutMs: number;
  private readonly inherited: InheritedSocket[];
  private readonly onRunning: (() => void) | undefined;
  private state: State = "starting";
  private failure: TimeServerError | undefined;
  private bound: { address: string; port: number } | undefined;
  /** The port new workers ask node:cluster for; see portForNewWorker. */
  private sharedPort: number;
  private restarts = 0;
  private stopTimer: NodeJS.Timeout | undefined;
  private keeper: Worker | undefined;
  /**
   * Whether the first keeper has answered (holding the sockets, or why not):
   * the cluster is not "running" before, so no worker can die with the
   * sockets unheld after the readiness line (a keeper slow to start under
   * load once let a datagram sent while every worker was down be refused).
   */
  private keeperSettled = false;
  private settle: { resolve: () => void; reject: (error: Error) => void } | undefined;

  constructor(
    private readonly config: ServerConfig,
    private readonly logger: Logger,
    options: SupervisorOptions = {},
  ) {
    this.stopTimeoutMs = options.stopTimeoutMs ?? DEFAULT_STOP_TIMEOUT_MS;
    this.inherited = (options.inherited ?? []).filter((socket) => socket.name !== "metrics");
    this.onRunning = options.onRunning;
    this.sharedPort = config.port;
    for (let id = 1; id <= config.workers; id++) {
      this.slots.push({
        id,
        backoff: new RestartBackoff(options.backoff ?? DEFAULT_BACKOFF),
        worker: undefined,
        pid: 0,
        port: config.port,
        forkedAt: 0,
        ready: false,
        listening: false,
        startFailure: undefined,
        restartTimer: undefined,
      });
    }
  }

  /**
   * Start the workers. Resolves once the cluster has been stopped and every
   * worker has exited; rejects (after stopping the others) if a worker could
   * not start.
   */
  run(): Promise<void> {
    if (this.settle !== undefined) {
      return Promise.reject(new TimeServerError("TS_ERR_STATE", "the cluster was already started"));
    }
    const finished = new Promise<void>((resolve, reject) => {
      this.settle = { resolve, reject };
    });
    applySchedulingPolicy();
    this.forkKeeper();
    for (const slot of this.slots) this.fork(slot);
    return finished;
  }

  /** Drain every worker and exit; a second call (a second Ctrl-C) kills them at once. */
  stop(signal: NodeJS.Signals): void {
    if (this.state === "stopped") return;
    if (this.state === "stopping") {
      log.shutdownForced(this.logger, signal, true);
      this.killWorkers();
      return;
    }
    log.shuttingDown(this.logger, signal, this.liveWorkers());
    // Before the workers' "Draining" lines, which their drain message will cause.
    this.logger.flush();
    this.beginStopping();
  }

  /** Pass a signal on to every live worker (SIGHUP: reload the TLS certificate). */
  signalWorkers(signal: NodeJS.Signals): void {
    for (const slot of this.slots) {
      // A worker still starting has no handler yet (the signal would kill it) and loads the files anyway.
      if (slot.listening && slot.worker !== undefined && !slot.worker.isDead())
        slot.worker.process.kill(signal);
    }
  }

  /** Whether the cluster accepts new work: every worker started, and not stopping (/readyz). */
  get ready(): boolean {
    return this.state === "running";
  }

  /**
   * The cluster's counters as of now: every serving worker is asked for its
   * counters, and the totals are taken when all have answered (or after a
   * second, with the latest reports of those that have not).
   */
  async freshTotals(): Promise<MetricsSnapshot> {
    const asked = this.slots.filter((slot) => slot.ready && slot.worker !== undefined);
    return this.counters.fresh(
      asked.map((slot) => slot.id),
      (workerId, id) => {
        const slot = asked.find((each) => each.id === workerId) as Slot;
        this.send(slot, { type: "report", id });
      },
    );
  }

  /** The primary's own series, beside the workers' totals: live workers, and restarts so far. */
  clusterSeries(): MetricsSnapshot {
    return [
      {
        name: "timeserver_workers",
        help: "Worker processes alive now (--workers N when all are up).",
        type: "gauge",
        samples: [{ labels: {}, value: this.liveWorkers() }],
      },
      {
        name: "timeserver_worker_restarts_total",
        help: "Workers started again after one died.",
        type: "counter",
        samples: [{ labels: {}, value: this.restarts }],
      },
    ];
  }

  /**
   * The socket keeper (socket-keeper.ts): holds a share of every listening
   * socket so it stays open while every worker is down. Forked again if it
   * dies; the cluster serves without it meanwhile, as it did before it.
   */
  private forkKeeper(): void {
    const keeper = cluster.fork({ [KEEPER_ROLE_VARIABLE]: KEEPER_ROLE });
    this.keeper = keeper;
    keeper.on("error", () => {});
    keeper.on("message", (message: unknown) => {
      if (isKeeperHello(message)) {
        const keep: KeepMessage = {
          type: "keep-sockets",
          config: { ...this.config, port: this.sharedPort },
          roundRobin: schedulingPolicyName() === "rr",
        };
        keeper.send(keep);
      } else if (isKeptMessage(message)) {
        if (message.error !== undefined) log.keeperFailed(this.logger, message.error);
        this.onKeeperSettled();
      }
    });
    keeper.once("exit", () => {
      // A keeper that died before answering holds nothing: start without it.
      this.onKeeperSettled();
      if (this.keeper !== keeper) return;
      this.keeper = undefined;
      if (this.state === "stopping" || this.state === "stopped") return;
      setTimeout(() => {
        if (this.state !== "stopping" && this.state !== "stopped") this.forkKeeper();
      }, KEEPER_RESTART_MS).unref();
    });
  }

  private fork(slot: Slot): void {
    const restarted = slot.pid !== 0;
    slot.port = this.portForNewWorker();
    const worker = cluster.fork();
    slot.worker = worker;
    slot.pid = worker.process.pid ?? 0;
    slot.forkedAt = performance.now();
    slot.ready = false;
    slot.listening = false;
    slot.startFailure = undefined;
    worker.on("message", (message: unknown) => this.onMessage(slot, message));
    // A send that races the worker's exit fails here; the exit itself is handled below.
    worker.on("error", () => {});
    whenGone(worker, (code, signal) => this.onGone(slot, describeExit(code, signal)));
    log.workerStarted(this.logger, slot.id, slot.pid, restarted);
  }

  /**
   * node:cluster shares one listening socket among the workers that ask for
   * the same address and port. With port 0 they must all ask for "port 0" (a
   * worker asking for the bound port would get a second, clashing socket),
   * but once every worker has gone the shared socket is closed and a new
   * "port 0" would be a new random port: from then on, ask for the port
   * clients already know.
   */
  private portForNewWorker(): number {
    if (this.bound !== undefined && Object.keys(cluster.workers ?? {}).length === 0) {
      this.sharedPort = this.bound.port;
    }
    return this.sharedPort;
  }

  private onMessage(slot: Slot, message: unknown): void {
    if (!isWorkerMessage(message)) return;
    switch (message.type) {
      case "hello":
        this.onHello(slot);
        break;
      case "listening":
        this.onListening(slot, message.address, message.port);
        break;
      case "start-failed":
        this.onStartFailed(slot, message.message);
        break;
      case "stats":
        this.counters.received(slot.id, message.id, message.metrics);
        break;
    }
  }

  private onHello(slot: Slot): void {
    slot.ready = true;
    if (this.state === "stopping") {
      this.send(slot, { type: "drain" });
      return;
    }
    this.send(slot, {
      type: "start",
      workerId: slot.id,
      config: { ...this.config, port: slot.port },
      ...(this.inherited.length > 0 ? { inherited: this.inherited } : {}),
    });
  }

  private onKeeperSettled(): void {
    if (this.keeperSettled) return;
    this.keeperSettled = true;
    this.runIfStarted();
  }

  private onListening(slot: Slot, address: string, port: number): void {
    slot.listening = true;
    if (this.bound === undefined) this.bound = { address, port };
    this.runIfStarted();
  }

  /** "running" once every worker listens and the keeper holds the sockets (or cannot). */
  private runIfStarted(): void {
    if (this.state !== "starting" || !this.keeperSettled) return;
    if (this.slots.some((each) => !each.listening)) return;
    const { address, port } = this.bound as { address: string; port: number };
    this.state = "running";
    log.clusterListening(this.logger, address, port, this.slots.length);
    this.logger.flush();
    this.onRunning?.();
  }

  private onStartFailed(slot: Slot, message: string): void {
    slot.startFailure = message;
    // One line for the user, however many workers fail the same way.
    if (this.state === "stopping" || this.state === "stopped") return;
    this.fail(new TimeServerError("TS_ERR_LISTEN", message));
  }

  /** The worker has exited and every message it sent has been handled. */
  private onGone(slot: Slot, exit: string): void {
    const pid = slot.pid;
    slot.worker = undefined;
    this.counters.retire(slot.id);
    if (this.state === "stopping") {
      log.workerExited(this.logger, slot.id, pid, exit);
      if (this.liveWorkers() === 0) this.finish();
      return;
    }
    if (this.state === "starting") {
      // Restarting a worker that never got going would only fail again.
      this.fail(
        new TimeServerError(
          "TS_ERR_LISTEN",
          slot.startFailure ?? `worker ${slot.id} (pid ${pid}) exited while starting (${exit})`,
        ),
      );
      return;
    }
    if (this.inherited.length > 0 && !this.slots.some((each) => each.listening && each.worker)) {
      // node:cluster closed its copy of systemd's sockets with the last worker
      // that shared them, so a new worker could not listen on them: exit, and
      // let Restart= start a fresh process with the sockets handed over again.
      this.fail(
        new TimeServerError(
          "TS_ERR_LISTEN",
          `every worker died (the last: worker ${slot.id}, pid ${pid}, ${exit}); the inherited sockets went with them`,
        ),
      );
      return;
    }
    const delay = slot.backoff.delayAfter(performance.now() - slot.forkedAt);
    log.workerDied(this.logger, slot.id, pid, exit, delay);
    slot.restartTimer = setTimeout(() => {
      slot.restartTimer = undefined;
      this.restarts++;
      this.fork(slot);
    }, delay);
  }

  private fail(error: TimeServerError): void {
    this.failure = error;
    this.beginStopping();
  }

  private beginStopping(): void {
    this.state = "stopping";
    // Without the keeper's share, each socket closes with its last worker, as a drain wants.
    this.keeper?.process.kill("SIGTERM");
    for (const slot of this.slots) {
      clearTimeout(slot.restartTimer);
      slot.restartTimer = undefined;
      // A worker that has not said hello yet gets its drain in answer to it.
      if (slot.worker !== undefined && slot.ready) this.send(slot, { type: "drain" });
    }
    if (this.liveWorkers() === 0) {
      this.finish();
      return;
    }
    this.stopTimer = setTimeout(() => {
      for (const slot of this.slots) {
        if (slot.worker === undefined) continue;
        log.workerKilled(this.logger, slot.id, slot.pid, this.stopTimeoutMs);
      }
      this.killWorkers();
    }, this.stopTimeoutMs);
  }

  private killWorkers(): void {
    for (const slot of this.slots) slot.worker?.process.kill("SIGKILL");
  }

  private finish(): void {
    this.state = "stopped";
    clearTimeout(this.stopTimer);
    const settle = this.settle as NonNullable<typeof this.settle>;
    if (this.failure !== undefined) {
      this.logger.flush();
      settle.reject(this.failure);
      return;
    }
    const totals = this.counters.totals.totals();
    const accepted = totalOf(totals, "timeserver_connections_accepted_total");
    const timeRequests = totalOf(totals, "timeserver_requests_total", { result: "time" });
    log.clusterTotals(this.logger, accepted, timeRequests, this.slots.length, this.restarts);
    log.serverStopped(this.logger);
    this.logger.flush();
    settle.resolve();
  }

  private send(slot: Slot, message: PrimaryMessage): void {
    if (slot.worker?.isConnected()) slot.worker.send(message);
  }

  private liveWorkers(): number {
    return this.slots.filter((slot) => slot.worker !== undefined).length;
  }
}

/**
 * Call `gone` once the worker has exited and its IPC channel has closed, in
 * whichever order those come, so every message it sent has been handled (its
 * "start-failed" in particular) and node:cluster has released its share of
 * the listening socket.
 */
function whenGone(
  worker: Worker,
  gone: (code: number | null, signal: NodeJS.Signals | null) => void,
): void {
  worker.once("exit", (code: number | null, signal: NodeJS.Signals | null) => {
    if (worker.isConnected()) worker.once("disconnect", () => gone(code, signal));
    else gone(code, signal);
  });
}

function describeExit(code: number | null, signal: NodeJS.Signals | null): string {
  return signal !== null ? `signal ${signal}` : `exit code ${code}`;
}
