/**
 * Which listeners a process runs, and with what service: one row per
 * protocol and transport. A row whose port is not configured is off, so
 * with no protocol flags the process opens exactly the line protocol's port.
 */

import type { ServerConfig } from "../config/server-config.js";

export type ServiceName = "line";
export type Transport = "tcp" | "udp";

export interface ServiceRow {
  readonly service: ServiceName;
  readonly transport: Transport;
  /** The configured port, or undefined when this row is off. */
  port(config: ServerConfig): number | undefined;
}

export const SERVICE_TABLE: readonly ServiceRow[] = [
  { service: "line", transport: "tcp", port: (config) => config.port },
];
