/**
 * The home of the server's defaults and bounds: the option table
 * (server-config.ts), the library (server/time-server.ts) and the cluster's
 * supervisor read them here, and nowhere else states them.
 */

import { DEFAULT_MAX_LINE } from "../protocols/line/time-protocol.js";

export const DEFAULTS = Object.freeze({
  host: "0.0.0.0",
  port: 45000,
  maxConnections: 10000,
  idleTimeout: 300,
  /** The line codec's own default: the longest request line, in bytes. */
  maxLine: DEFAULT_MAX_LINE,
  /** Milliseconds a closing connection may linger, and shutdown may wait, before sockets are destroyed. */
  closeGrace: 2000,
  /** The stratum SNTP replies claim. */
  ntpStratum: 10,
});

/** Upper bounds a library caller is held to, the same as the command line's. */
export const LIMITS = Object.freeze({
  maxConnections: 1_000_000,
  idleTimeout: 2_000_000,
  maxLine: 1024 * 1024,
  closeGrace: 600_000,
});
