/**
 * The body of a single-process `timeserver`: listen, then shut down
 * gracefully on SIGTERM or SIGINT. The handlers go in before listening, so a
 * signal that arrives while the server starts still gets a clean shutdown.
 */

import type { ServerConfig } from "../config/server-config.js";
import type { Logger } from "../logging/logger.js";
import { ServerRuntime } from "./server-runtime.js";

export async function runServerProcess(config: ServerConfig, logger: Logger): Promise<void> {
  const runtime = new ServerRuntime(config, logger);
  const started = runtime.listen();
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      // A second signal means "now": skip the grace period.
      logger.lifecycle("warn", `Received ${signal} again; exiting at once`, {
        event: "shutdown-forced",
        signal,
      });
      logger.flush();
      process.exit(0);
    }
    stopping = true;
    logger.lifecycle("info", `Received ${signal}; shutting down`, { event: "shutdown", signal });
    started
      .then(() => runtime.close())
      .then(() => {
        logger.lifecycle("info", "Server stopped", { event: "stopped" });
        return logger.close().then(() => process.exit(0));
      })
      // A failed start is reported by whoever awaits `started`.
      .catch(() => {});
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
  try {
    await started;
  } catch (error) {
    process.off("SIGTERM", stop);
    process.off("SIGINT", stop);
    throw error;
  } finally {
    logger.flush();
  }
}
