/**
 * The server as a library: the line protocol on one TCP listener.
 * `createTimeServer()` checks its options when it is called (a bad one throws
 * TS_ERR_CONFIG at once, not inside the first accept), then wires the
 * transport's listener to the line service.
 */

import { type Clock, SYSTEM_CLOCK } from "../clock/clock.js";
import { isKnownTimeZone } from "../clock/time-of-day.js";
import { TimeServerError } from "../errors.js";
import { type Logger, SILENT_LOGGER } from "../logging/logger.js";
import { CounterRegistry } from "../metrics/counters.js";
import { DEFAULT_MAX_LINE } from "../protocols/line/time-protocol.js";
import { LineService } from "../services/line-service.js";
import type { Admission } from "../transport/admission.js";
import { TcpListener } from "../transport/tcp-listener.js";
import { TurnBudget } from "../transport/turn-budget.js";

export interface TimeServerOptions {
  /** Address to bind; default 0.0.0.0. Use "::" for IPv6 (and IPv4 where the system allows). */
  host?: string;
  /** Port to bind; default 45000; 0 picks a free one (see `address()`). */
  port?: number;
  /** An inherited listening socket to adopt instead of binding host and port. */
  fd?: number;
  /** IANA zone for replies (e.g. Asia/Jakarta); default: the system zone, which honours TZ. */
  timeZone?: string;
  /** Connections served at once; one more is closed as soon as it is accepted. Default 10000. */
  maxConnections?: number;
  /** Seconds without a byte from the client before it is disconnected; 0 turns it off. Default 300. */
  idleTimeout?: number;
  /** Longest request line in bytes; default 1024. */
  maxLine?: number;
  /** Milliseconds a closing connection may linger, and shutdown may wait, before sockets are destroyed. Default 2000. */
  closeGrace?: number;
  logger?: Logger;
  /** The clock for replies, deadlines and timers; default the system's. */
  clock?: Clock;
  /** Where to count; default a registry of the server's own (see `counters`). */
  counters?: CounterRegistry;
  admission?: Admission;
  /** Shared by every listener of a process, so their turns are bounded together. */
  budget?: TurnBudget;
}

export const DEFAULTS = Object.freeze({
  host: "0.0.0.0",
  port: 45000,
  maxConnections: 10000,
  idleTimeout: 300,
  maxLine: DEFAULT_MAX_LINE,
  closeGrace: 2000,
});

/** Upper bounds a library caller is held to, the same as the command line's. */
export const LIMITS = Object.freeze({
  maxConnections: 1_000_000,
  idleTimeout: 2_000_000,
  maxLine: 1024 * 1024,
  closeGrace: 600_000,
});

export class TimeServer extends TcpListener {
  readonly line: LineService;

  constructor(options: TimeServerOptions = {}) {
    const checked = validateTimeServerOptions(options);
    const clock = options.clock ?? SYSTEM_CLOCK;
    const logger = options.logger ?? SILENT_LOGGER;
    const counters = options.counters ?? new CounterRegistry();
    const line = new LineService({
      maxLine: checked.maxLine,
      timeZone: options.timeZone,
      logger,
      clock,
      counters,
      budget: options.budget ?? new TurnBudget(clock),
      admission: options.admission,
    });
    super({
      service: line,
      host: checked.host,
      port: checked.port,
      fd: options.fd,
      maxConnections: checked.maxConnections,
      idleTimeoutMs: checked.idleTimeout * 1000,
      closeGraceMs: checked.closeGrace,
      logger,
      clock,
      counters,
      admission: options.admission,
    });
    this.line = line;
  }
}

function checkInteger(
  name: string,
  value: number | undefined,
  fallback: number,
  min: number,
  max: number,
): number {
  const chosen = value ?? fallback;
  if (!Number.isSafeInteger(chosen) || chosen < min || chosen > max) {
    throw new TimeServerError(
      "TS_ERR_CONFIG",
      `invalid ${name} ${JSON.stringify(value)}: must be a whole number from ${min} to ${max}`,
    );
  }
  return chosen;
}

/** The options with defaults filled in; throws TS_ERR_CONFIG naming the first bad one. */
export function validateTimeServerOptions(options: TimeServerOptions) {
  if (options.timeZone !== undefined && !isKnownTimeZone(options.timeZone)) {
    throw new TimeServerError(
      "TS_ERR_CONFIG",
      `invalid timeZone ${JSON.stringify(options.timeZone)}: not a known time zone`,
    );
  }
  const host = options.host ?? DEFAULTS.host;
  if (typeof host !== "string" || host.trim() === "") {
    throw new TimeServerError("TS_ERR_CONFIG", `invalid host ${JSON.stringify(host)}`);
  }
  return {
    host,
    port: checkInteger("port", options.port, DEFAULTS.port, 0, 65535),
    maxConnections: checkInteger(
      "maxConnections",
      options.maxConnections,
      DEFAULTS.maxConnections,
      1,
      LIMITS.maxConnections,
    ),
    idleTimeout: checkInteger(
      "idleTimeout",
      options.idleTimeout,
      DEFAULTS.idleTimeout,
      0,
      LIMITS.idleTimeout,
    ),
    maxLine: checkInteger("maxLine", options.maxLine, DEFAULTS.maxLine, 5, LIMITS.maxLine),
    closeGrace: checkInteger(
      "closeGrace",
      options.closeGrace,
      DEFAULTS.closeGrace,
      0,
      LIMITS.closeGrace,
    ),
  };
}

export function createTimeServer(options: TimeServerOptions = {}): TimeServer {
  return new TimeServer(options);
}
