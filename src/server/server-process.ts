/**
 * The body of a single-process `timeserver`: listen (and serve metrics, when
 * asked), then shut down gracefully on SIGTERM or SIGINT. The handlers go in
 * before listening, so a signal that arrives while the server starts still
 * gets a clean shutdown. From the first signal /readyz says 503, while the
 * connections drain.
 */

import type { InheritedSocket } from "../config/inherited-sockets.js";
import type { ServerConfig } from "../config/server-config.js";
import * as log from "../logging/log-events.js";
import type { Logger } from "../logging/logger.js";
import { eventLoopDelayGauges } from "../metrics/event-loop-delay.js";
import { MetricsEndpoint } from "../metrics/http-endpoint.js";
import { processCounters } from "../metrics/server-metrics.js";
import { NO_NOTIFIER, type ServiceNotifier } from "../systemd/service-notifier.js";
import { ServerRuntime } from "./server-runtime.js";

export interface ServerProcessOptions {
  inherited?: readonly InheritedSocket[];
  /** Called with the runtime once it exists, to wire SIGHUP to `runtime.reload()`. */
  onRuntime?: (runtime: ServerRuntime) => void;
  /** Told READY=1 once every listener is up, STOPPING=1 at the first signal. */
  notifier?: ServiceNotifier;
}

export async function runServerProcess(
  config: ServerConfig,
  logger: Logger,
  options: ServerProcessOptions = {},
): Promise<void> {
  const inherited = options.inherited ?? [];
  const notifier = options.notifier ?? NO_NOTIFIER;
  const runtime = new ServerRuntime(config, logger, { inherited });
  processCounters(runtime.counters, {
    droppedLogLines: () => logger.droppedLines,
    clockSteps: () => runtime.clock.stepsDetected?.() ?? 0,
  });
  eventLoopDelayGauges(runtime.counters, runtime.clock);
  options.onRuntime?.(runtime);
  const metricsSocket = inherited.find((socket) => socket.name === "metrics");
  const metrics =
    config.metricsPort === undefined && metricsSocket === undefined
      ? undefined
      : new MetricsEndpoint({
          host: config.metricsHost,
          port: config.metricsPort ?? 0,
          fd: metricsSocket?.fd,
          logger,
          snapshot: () => runtime.freshSnapshot(),
          ready: () => runtime.ready,
          descriptors: runtime.descriptors,
          counters: runtime.counters,
        });
  const started = Promise.all([runtime.listen(), metrics?.listen()]);
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      // A second signal means "now": skip the grace period.
      log.shutdownForced(logger, signal);
      logger.flush();
      process.exit(0);
    }
    stopping = true;
    notifier.stopping();
    log.shuttingDown(logger, signal);
    started
      .then(() => runtime.close())
      .then(() => metrics?.close())
      .then(() => {
        log.serverStopped(logger);
        return Promise.all([logger.close(), notifier.sent()]).then(() => process.exit(0));
      })
      // A failed start is reported by whoever awaits `started`.
      .catch(() => {});
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
  try {
    await started;
    if (!stopping) notifier.ready();
  } catch (error) {
    process.off("SIGTERM", stop);
    process.off("SIGINT", stop);
    await Promise.all([runtime.close(), metrics?.close()]);
    throw error;
  } finally {
    logger.flush();
  }
}
