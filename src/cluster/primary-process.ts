/**
 * The body of the primary process of `timeserver --workers N` (N > 1): a
 * supervisor for the workers, stopped by SIGTERM or SIGINT like the
 * single-process server.
 */

import type { ServerConfig } from "../config/server-config.js";
import type { Logger } from "../logging/logger.js";
import { ClusterSupervisor } from "./supervisor.js";

/**
 * Run the cluster until a signal has stopped it; rejects with the workers'
 * error (one line for the user) if they could not start.
 */
export async function runClusterPrimary(config: ServerConfig, logger: Logger): Promise<void> {
  const supervisor = new ClusterSupervisor(config, logger);
  const onSignal = (signal: NodeJS.Signals) => supervisor.stop(signal);
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
  try {
    await supervisor.run();
  } finally {
    process.off("SIGTERM", onSignal);
    process.off("SIGINT", onSignal);
    await logger.close();
  }
}
