/**
 * The body of the primary process of `timeserver --workers N` (N > 1): a
 * supervisor for the workers, stopped by SIGTERM or SIGINT like the
 * single-process server.
 */

import type { InheritedSocket } from "../config/inherited-sockets.js";
import type { ServerConfig } from "../config/server-config.js";
import type { Logger } from "../logging/logger.js";
import { MetricsEndpoint } from "../metrics/http-endpoint.js";
import { NO_NOTIFIER, type ServiceNotifier } from "../systemd/service-notifier.js";
import { ClusterSupervisor } from "./supervisor.js";

export interface PrimaryOptions {
  /** Sockets systemd handed over: the workers serve them, this process serves `metrics`. */
  inherited?: readonly InheritedSocket[];
  /** Told READY=1 once every worker listens and the socket keeper holds the sockets, STOPPING=1 at the first signal. */
  notifier?: ServiceNotifier;
}

/**
 * Run the cluster until a signal has stopped it; rejects with the workers'
 * error (one line for the user) if they could not start.
 */
export async function runClusterPrimary(
  config: ServerConfig,
  logger: Logger,
  /** Called with what SIGHUP should do: tell every worker to reload. */
  onReload?: (reload: () => void) => void,
  options: PrimaryOptions = {},
): Promise<void> {
  const { inherited = [], notifier = NO_NOTIFIER } = options;
  const supervisor = new ClusterSupervisor(config, logger, {
    inherited,
    // /metrics listens before the first worker is forked, so this is every listener.
    onRunning: () => notifier.ready(`Serving with ${config.workers} workers`),
  });
  onReload?.(() => supervisor.signalWorkers("SIGHUP"));
  // The primary serves /metrics summed across the workers; workers never bind it.
  const metricsSocket = inherited.find((socket) => socket.name === "metrics");
  const metrics =
    config.metricsPort === undefined && metricsSocket === undefined
      ? undefined
      : new MetricsEndpoint({
          host: config.metricsHost,
          port: config.metricsPort ?? 0,
          fd: metricsSocket?.fd,
          logger,
          snapshot: async () => [
            ...(await supervisor.freshTotals()),
            ...supervisor.clusterSeries(),
          ],
          ready: () => supervisor.ready,
        });
  const onSignal = (signal: NodeJS.Signals) => {
    notifier.stopping();
    supervisor.stop(signal);
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
  try {
    await metrics?.listen();
    await supervisor.run();
  } finally {
    process.off("SIGTERM", onSignal);
    process.off("SIGINT", onSignal);
    await metrics?.close();
    await notifier.sent();
    await logger.close();
  }
}
