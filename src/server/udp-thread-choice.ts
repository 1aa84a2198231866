/**
 * What `--udp-thread auto` (the default) means for one process, decided once
 * at start. A thread keeps datagrams from waiting behind TCP work on the main
 * loop, so it is worth its memory (a second V8 isolate) only where that wait
 * can happen and a second CPU can run it:
 *
 * - the process serves UDP and something on TCP (a listener or the metrics
 *   endpoint); with nothing else on the main loop there is nothing to wait
 *   behind;
 * - availableParallelism() >= 2: on one CPU the two loops take turns anyway;
 * - not a --workers cluster: the workers already spread the load over cores
 *   (each worker's loop serves UDP and TCP alike; `on` is refused there);
 * - no --rate-limit: the thread keeps its own rate-limit table, which would
 *   give an address's UDP requests a bucket apart from its TCP ones, and the
 *   option promises one bucket for every protocol (`on` accepts the split).
 *
 * Inherited sockets (socket activation) do not matter: a worker thread shares
 * the process's descriptors, and serves them as it would sockets it bound.
 */

import type { InheritedSocket } from "../config/inherited-sockets.js";
import type { ServerConfig } from "../config/server-config.js";
import { servedRows } from "./service-table.js";

export function udpThreadChosen(
  config: ServerConfig,
  inherited: readonly InheritedSocket[],
  cores: number,
): boolean {
  if (config.udpThread !== "auto") return config.udpThread === "on";
  if (config.workers > 1 || cores < 2 || config.rateLimit > 0) return false;
  const served = servedRows(config, inherited);
  const metrics =
    config.metricsPort !== undefined || inherited.some((socket) => socket.name === "metrics");
  return (
    served.some(({ row }) => row.transport === "udp") &&
    (metrics || served.some(({ row }) => row.transport === "tcp"))
  );
}
