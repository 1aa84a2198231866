/**
 * The body of the primary process of `timeserver --workers N` (N > 1): a
 * supervisor for the workers, stopped by SIGTERM or SIGINT like the
 * single-process server.
 */

import type { ServerConfig } from "../config/server-config.js";
import type { Logger } from "../logging/logger.js";
import { MetricsEndpoint } from "../metrics/http-endpoint.js";
import { ClusterSupervisor } from "./supervisor.js";

/**
 * Run the cluster until a signal has stopped it; rejects with the workers'
 * error (one line for the user) if they could not start.
 */
export async function runClusterPrimary(
  config: ServerConfig,
  logger: Logger,
  /** Called with what SIGHUP should do: tell every worker to reload. */
  onReload?: (reload: () => void) => void,
): Promise<void> {
  const supervisor = new ClusterSupervisor(config, logger);
  onReload?.(() => supervisor.signalWorkers("SIGHUP"));
  // The primary serves /metrics summed across the workers; workers never bind it.
  const metrics =
    config.metricsPort === undefined
      ? undefined
      : new MetricsEndpoint({
          host: config.metricsHost,
          port: config.metricsPort,
          logger,
          snapshot: () => supervisor.freshTotals(),
          ready: () => supervisor.ready,
        });
  const onSignal = (signal: NodeJS.Signals) => supervisor.stop(signal);
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
  try {
    await metrics?.listen();
    await supervisor.run();
  } finally {
    process.off("SIGTERM", onSignal);
    process.off("SIGINT", onSignal);
    await metrics?.close();
    await logger.close();
  }
}
