/**
 * The line protocol's server as a library: one TCP listener. `createTimeServer()`
 * checks its options when it is called (a bad one throws TS_ERR_CONFIG at
 * once, not inside the first accept), then builds the server the way the
 * command line does (ServerRuntime, from the option table's defaults and the
 * caller's options). A TimeServer holds that runtime and its listener; the
 * listener's internals are not its API.
 */

import { EventEmitter } from "node:events";
import type { AddressInfo } from "node:net";
import { type Clock, SYSTEM_CLOCK } from "../clock/clock.js";
import { isKnownTimeZone } from "../clock/time-of-day.js";
import { DEFAULTS, LIMITS } from "../config/defaults.js";
import { defaultServerConfig } from "../config/server-config.js";
import { TimeServerError } from "../errors.js";
import { type Logger, SILENT_LOGGER } from "../logging/logger.js";
import type { CounterRegistry } from "../metrics/counters.js";
import type { AdmissionPolicy } from "../policy/admission-policy.js";
import type { TurnBudget } from "../services/turn-budget.js";
import type { TcpListener, TcpListenerEvents } from "../transport/tcp-listener.js";
import { ServerRuntime } from "./server-runtime.js";

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
  /** @internal the policy to ask (tests); default: the connection limit alone. */
  admission?: AdmissionPolicy;
  /** @internal shared by every listener of a process, so their turns are bounded together. */
  budget?: TurnBudget;
}

export class TimeServer extends EventEmitter<TcpListenerEvents> {
  readonly counters: CounterRegistry;
  readonly clock: Clock;
  readonly logger: Logger;
  private readonly runtime: ServerRuntime;
  private readonly listener: TcpListener;
  private started: Promise<AddressInfo> | undefined;

  constructor(options: TimeServerOptions = {}) {
    super();
    const checked = validateTimeServerOptions(options);
    this.clock = options.clock ?? SYSTEM_CLOCK;
    this.logger = options.logger ?? SILENT_LOGGER;
    const config = {
      ...defaultServerConfig(),
      host: checked.host,
      port: checked.port,
      timeZone: options.timeZone,
      maxConnections: checked.maxConnections,
      idleTimeout: checked.idleTimeout,
      maxLine: checked.maxLine,
    };
    this.runtime = new ServerRuntime(config, this.logger, {
      clock: this.clock,
      counters: options.counters,
      admission: options.admission,
      budget: options.budget,
      closeGraceMs: checked.closeGrace,
      inherited: options.fd === undefined ? [] : [{ fd: options.fd, name: "line", kind: "stream" }],
    });
    this.counters = this.runtime.counters;
    this.listener = this.runtime.line as TcpListener;
    // Each event is passed on only once someone listens for it: the listener
    // builds a connection's event payload only for someone listening.
    const forwarded = new Set<string | symbol>();
    (this as EventEmitter).on("newListener", (event: string | symbol) => {
      if (event === "newListener" || event === "removeListener" || forwarded.has(event)) return;
      forwarded.add(event);
      const name = event as keyof TcpListenerEvents;
      this.listener.on(name, (...args: unknown[]) =>
        (this.emit as (event: string, ...args: unknown[]) => boolean)(name, ...args),
      );
    });
  }

  /** Bind; resolves with the bound address. Once only (TS_ERR_STATE after). */
  listen(): Promise<AddressInfo> {
    if (this.started !== undefined) {
      return Promise.reject(
        new TimeServerError("TS_ERR_STATE", "the listener was already started"),
      );
    }
    // The address as bound, even if close() has been called since.
    const bound = new Promise<AddressInfo>((resolve) => this.listener.once("listening", resolve));
    this.started = this.runtime.listen().then(() => bound);
    return this.started;
  }

  /** Graceful shutdown: stop accepting, let connections flush and close, then resolve. */
  close(): Promise<void> {
    return this.runtime.close();
  }

  /** The bound address, once listening. */
  address(): AddressInfo | null {
    return this.listener.address();
  }

  /** Live connections, closing ones included. */
  get connections(): number {
    return this.listener.connections;
  }

  /** Connections closed by the server and lingering until the client closes too. */
  get closingConnections(): number {
    return this.listener.closingConnections;
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
