/**
 * What a worker process runs: the normal server runtime, started and stopped by
 * the primary over IPC. The worker says hello, gets its id and the config,
 * listens (node:cluster shares the primary's socket), reports its counters
 * now and then, and drains when told to (or on its own SIGTERM).
 */

import { TimeServerError } from "../errors.js";
import { createLogger } from "../logging/create-logger.js";
import * as log from "../logging/log-events.js";
import type { Logger } from "../logging/logger.js";
import { eventLoopDelayGauges } from "../metrics/event-loop-delay.js";
import { processCounters } from "../metrics/server-metrics.js";
import { installProcessSignals } from "../server/process-signals.js";
import { ServerRuntime } from "../server/server-runtime.js";
import { isPrimaryMessage, type StartMessage, type WorkerMessage } from "./messages.js";

/** How often counters go to the primary: one small message, skipped when nothing changed. */
const STATS_INTERVAL_MS = 5000;

class ClusterWorker {
  private server: ServerRuntime | undefined;
  private logger: Logger | undefined;
  private state: "waiting" | "starting" | "serving" | "draining" = "waiting";
  private drainRequested = false;
  private statsTimer: NodeJS.Timeout | undefined;
  private reported = "";

  onMessage(message: unknown): void {
    if (!isPrimaryMessage(message)) return;
    if (message.type === "start") void this.start(message);
    else if (message.type === "report") this.reportStats(message.id);
    else this.drain();
  }

  drain(): void {
    if (this.state === "waiting") {
      // Told to stop before being told to start: nothing to close.
      process.exit(0);
    }
    if (this.state === "starting") {
      this.drainRequested = true;
      return;
    }
    if (this.state === "draining") return;
    this.state = "draining";
    clearInterval(this.statsTimer);
    const server = this.server as ServerRuntime;
    const logger = this.logger as Logger;
    log.draining(logger);
    void server.close().then(() => {
      log.workerStopped(logger);
      void logger
        .close()
        .then(() =>
          sendToPrimary({ type: "stats", metrics: server.snapshot() }, () => process.exit(0)),
        );
    });
  }

  private async start({ workerId, config, inherited }: StartMessage): Promise<void> {
    if (this.state !== "waiting") return;
    this.state = "starting";
    const logger = createLogger({
      level: config.logLevel,
      format: config.logFormat,
      worker: workerId,
    });
    this.logger = logger;
    try {
      const server = new ServerRuntime(config, logger, { inherited });
      this.server = server;
      processCounters(server.counters, {
        droppedLogLines: () => logger.droppedLines,
        clockSteps: () => server.clock.stepsDetected?.() ?? 0,
      });
      eventLoopDelayGauges(server.counters, server.clock, { worker: String(workerId) });
      installProcessSignals(logger, { onHangup: () => server.reload() });
      await server.listen();
      const address = (server.line ?? server.listeners[0])?.address() ?? {
        address: config.host,
        port: config.port,
      };
      // The worker's own "Listening on" line reaches the log before the primary hears of it.
      logger.flush();
      sendToPrimary({ type: "listening", address: address.address, port: address.port });
    } catch (error) {
      logger.flush();
      // The primary prints the one line and stops the cluster; this worker just leaves.
      sendToPrimary({ type: "start-failed", message: describeFailure(error) }, () =>
        process.exit(1),
      );
      return;
    }
    this.state = "serving";
    this.statsTimer = setInterval(() => this.reportStats(), STATS_INTERVAL_MS);
    this.statsTimer.unref();
    if (this.drainRequested) this.drain();
  }

  private reportStats(askedId?: number): void {
    const asked = askedId !== undefined;
    if (this.server === undefined) {
      if (asked) sendToPrimary({ type: "stats", metrics: [], id: askedId });
      return;
    }
    const metrics = this.server.snapshot();
    // An unchanged snapshot means nothing to report, unless the primary asked.
    const text = JSON.stringify(metrics);
    if (text === this.reported && !asked) return;
    this.reported = text;
    sendToPrimary(asked ? { type: "stats", metrics, id: askedId } : { type: "stats", metrics });
  }
}

/** As runCli would word it, so the primary's stderr line reads like the single-process one. */
function describeFailure(error: unknown): string {
  if (error instanceof TimeServerError) return error.message;
  return `unexpected error: ${error instanceof Error ? error.message : String(error)}`;
}

/**
 * Send, ignoring a channel that is already closed: the primary is gone then,
 * and node:cluster ends a worker whose primary went away.
 */
function sendToPrimary(message: WorkerMessage, done?: () => void): void {
  if (process.send === undefined || !process.connected) {
    done?.();
    return;
  }
  process.send(message, undefined, {}, () => done?.());
}

/** The body of a worker process (cluster.isWorker). */
export function runClusterWorker(): void {
  const worker = new ClusterWorker();
  // A Ctrl-C on a terminal reaches the whole process group; the primary
  // handles it and tells each worker to drain, so a worker ignores its copy.
  process.on("SIGINT", () => {});
  process.on("SIGTERM", () => worker.drain());
  process.on("message", (message) => worker.onMessage(message));
  sendToPrimary({ type: "hello" });
}
