/**
 * Two protocols asking for the same port: found from the flags alone,
 * before anything binds, so the user hears which two flags clash instead of
 * one protocol's "Listening" line and then the other's "address already in
 * use". Which transports each flag opens is the service table's rule, kept
 * here as the flags see it (config sits below the server layer).
 */

import { TimeServerError } from "../errors.js";

/** The fields of ServerConfig that say where to listen (a structural type: server-config imports this file). */
interface ServerConfig {
  host: string;
  port: number;
  tlsPort: number | undefined;
  ntsKePort: number | undefined;
  daytimePort: number | undefined;
  rfc868Port: number | undefined;
  ntpPort: number | undefined;
  metricsPort: number | undefined;
  metricsHost: string;
}

type Transport = "TCP" | "UDP";

interface PortFlag {
  flag: string;
  transports: readonly Transport[];
  port: (config: ServerConfig) => number | undefined;
  host: (config: ServerConfig) => string;
}

const PORT_FLAGS: readonly PortFlag[] = [
  { flag: "--port", transports: ["TCP"], port: (c) => c.port, host: (c) => c.host },
  { flag: "--tls-port", transports: ["TCP"], port: (c) => c.tlsPort, host: (c) => c.host },
  { flag: "--nts-ke-port", transports: ["TCP"], port: (c) => c.ntsKePort, host: (c) => c.host },
  {
    flag: "--daytime-port",
    transports: ["TCP", "UDP"],
    port: (c) => c.daytimePort,
    host: (c) => c.host,
  },
  {
    flag: "--rfc868-port",
    transports: ["TCP", "UDP"],
    port: (c) => c.rfc868Port,
    host: (c) => c.host,
  },
  { flag: "--ntp-port", transports: ["UDP"], port: (c) => c.ntpPort, host: (c) => c.host },
  {
    flag: "--metrics-port",
    transports: ["TCP"],
    port: (c) => c.metricsPort,
    host: (c) => c.metricsHost,
  },
];

/** A wildcard address takes the port on every address, so it clashes with any host. */
function hostsOverlap(a: string, b: string): boolean {
  const wildcard = (host: string) => host === "" || host === "0.0.0.0" || host === "::";
  return a === b || wildcard(a) || wildcard(b);
}

/** Throws, naming both flags, when two of them would bind the same port and transport. */
export function checkPortClashes(config: ServerConfig): void {
  const taken: { flag: string; transport: Transport; port: number; host: string }[] = [];
  for (const { flag, transports, port, host } of PORT_FLAGS) {
    const number = port(config);
    // Port 0 asks the kernel for a free port: never a clash.
    if (number === undefined || number === 0) continue;
    for (const transport of transports) {
      const clash = taken.find(
        (other) =>
          other.port === number &&
          other.transport === transport &&
          hostsOverlap(other.host, host(config)),
      );
      if (clash !== undefined) {
        throw new TimeServerError(
          "TS_ERR_CONFIG",
          `${clash.flag} and ${flag} both ask for ${transport} port ${number}: give each its own port`,
        );
      }
      taken.push({ flag, transport, port: number, host: host(config) });
    }
  }
}
