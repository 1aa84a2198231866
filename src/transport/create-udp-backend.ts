/**
 * Which UDP backend a listener gets: the one place that knows both (each
 * backend imports only the interface in udp-backend.ts).
 */

import cluster from "node:cluster";
import { TimeServerError } from "../errors.js";
import { nativeBinding, nativeMissing } from "./native-binding.js";
import type { UdpBackend, UdpBackendName } from "./udp-backend.js";
import { DgramBackend } from "./udp-dgram.js";
import { NativeBackend } from "./udp-native.js";

/**
 * Undefined (the default) means native when it is available, else dgram. In
 * a cluster worker the native socket is bound with SO_REUSEPORT, one per
 * worker; port 0 there stays with dgram, whose socket node:cluster shares
 * (separate native sockets would each get a port of their own), and so does
 * an inherited socket (`port` undefined): its descriptor lives in the
 * primary, and only node:cluster can share it with a worker.
 */
export function createUdpBackend(
  name: UdpBackendName | undefined,
  port: number | undefined,
): UdpBackend {
  const shared = cluster.isWorker;
  const clusterOnly = shared && (port === 0 || port === undefined);
  if (name === "native" && clusterOnly) {
    throw new TimeServerError(
      "TS_ERR_CONFIG",
      "--udp-backend native cannot serve an inherited socket or port 0 from --workers: use --udp-backend auto or dgram",
    );
  }
  const binding = name === "dgram" || clusterOnly ? undefined : nativeBinding();
  if (binding !== undefined) return new NativeBackend(binding, shared);
  if (name === "native") {
    throw new TimeServerError(
      "TS_ERR_CONFIG",
      `--udp-backend native is not available: ${nativeMissing()}`,
    );
  }
  return new DgramBackend();
}
