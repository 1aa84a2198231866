/**
 * Which listeners a process runs: one row per protocol and transport. A row
 * whose port is not configured is off, so with no protocol flags the process
 * opens exactly the line protocol's port, as it always did.
 */

import type { ServerConfig } from "../config/server-config.js";

export type ServiceName = "line" | "tls" | "daytime" | "rfc868" | "ntp" | "nts-ke";
export type Transport = "tcp" | "udp";

export interface ServiceRow {
  readonly service: ServiceName;
  readonly transport: Transport;
  /** The configured port, or undefined when this row is off. */
  port(config: ServerConfig): number | undefined;
}

export const SERVICE_TABLE: readonly ServiceRow[] = [
  { service: "line", transport: "tcp", port: (config) => config.port },
  { service: "tls", transport: "tcp", port: (config) => config.tlsPort },
  { service: "daytime", transport: "tcp", port: (config) => config.daytimePort },
  { service: "daytime", transport: "udp", port: (config) => config.daytimePort },
  { service: "rfc868", transport: "tcp", port: (config) => config.rfc868Port },
  { service: "rfc868", transport: "udp", port: (config) => config.rfc868Port },
  { service: "ntp", transport: "udp", port: (config) => config.ntpPort },
  { service: "nts-ke", transport: "tcp", port: (config) => config.ntsKePort },
];
