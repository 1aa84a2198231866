/**
 * Which listeners a process runs: one row per protocol and transport. A row
 * whose port is not configured is off, so with no protocol flags the process
 * opens exactly the line protocol's port, as it always did.
 */

import type { InheritedSocket } from "../config/inherited-sockets.js";
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

/** A row that is on: the port to bind, or the socket systemd handed over for it. */
export interface ServedRow {
  readonly row: ServiceRow;
  readonly port: number | undefined;
  readonly socket: InheritedSocket | undefined;
}

/** The rows a process with `config` and `inherited` sockets serves. */
export function servedRows(
  config: ServerConfig,
  inherited: readonly InheritedSocket[],
): ServedRow[] {
  const served: ServedRow[] = [];
  for (const row of SERVICE_TABLE) {
    const socket = inherited.find(
      (each) => each.name === row.service && (each.kind === "stream") === (row.transport === "tcp"),
    );
    // An inherited socket replaces the listener; one never binds what it inherited.
    // Under socket activation the line protocol's port is systemd's too: without
    // an inherited line socket it stays closed rather than binding --port (45000
    // by default) behind systemd's back. Other protocols bind only when asked.
    const port = row.service === "line" && inherited.length > 0 ? undefined : row.port(config);
    if (socket === undefined && port === undefined) continue;
    served.push({ row, port, socket });
  }
  return served;
}
