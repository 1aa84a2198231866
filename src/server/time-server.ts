/**
 * The listener: the seed's Server class. It owns the listening socket, the
 * set of live sessions, the connection limit, the housekeeping timer (idle
 * timeout and lingering close) and graceful shutdown. Everything a single
 * connection does lives in Session; the wire rules live in ../protocol.
 */

import { EventEmitter } from "node:events";
import net, { type AddressInfo, type Socket } from "node:net";
import { timeOfDayFormatter } from "../clock/time-of-day.js";
import { TimeReplyCache } from "../clock/time-reply-cache.js";
import { describeSystemError, formatHostPort, TimeServerError } from "../errors.js";
import { type Logger, SILENT_LOGGER } from "../logging/logger.js";
import { DEFAULT_MAX_LINE } from "../protocol/time-protocol.js";
import { type CloseReason, Session } from "./session.js";
import { emptyStats, type ServerStats, type SessionHost } from "./session-host.js";

export interface TimeServerOptions {
  /** Address to bind; default 0.0.0.0. Use "::" for IPv6 (and IPv4 where the system allows). */
  host?: string;
  /** Port to bind; default 45000; 0 picks a free one (see `address()`). */
  port?: number;
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
  /** Source of the time of day, in epoch milliseconds; default Date.now. */
  clock?: () => number;
}

export interface ConnectionInfo {
  remoteAddress: string;
  remotePort: number;
}

export interface TimeServerEvents {
  listening: [address: AddressInfo];
  connection: [info: ConnectionInfo];
  rejected: [info: ConnectionInfo];
  /** A client stopped reading its replies and the server stopped reading its requests. */
  backpressure: [info: ConnectionInfo];
  disconnect: [info: ConnectionInfo, reason: CloseReason | "error"];
  close: [];
}

export const DEFAULTS = Object.freeze({
  host: "0.0.0.0",
  port: 45000,
  maxConnections: 10000,
  idleTimeout: 300,
  maxLine: DEFAULT_MAX_LINE,
  closeGrace: 2000,
});

const HOUSEKEEPING_INTERVAL_MS = 1000;
const LISTEN_BACKLOG = 1024;
/** At most one "limit reached" warning a second, so a flood cannot flood the log. */
const REJECT_WARNING_INTERVAL_MS = 1000;

export class TimeServer extends EventEmitter<TimeServerEvents> implements SessionHost {
  readonly host: string;
  readonly port: number;
  readonly maxConnections: number;
  readonly idleTimeoutMs: number;
  readonly maxLine: number;
  readonly closeGraceMs: number;
  readonly logger: Logger;
  readonly replies: TimeReplyCache;
  readonly stats: ServerStats = emptyStats();
  readonly clock: () => number;
  coarseNow: number;

  private readonly listener: net.Server;
  private readonly sessions = new Set<Session>();
  private housekeeping: NodeJS.Timeout | undefined;
  private state: "new" | "starting" | "listening" | "closing" | "closed" = "new";
  private started: Promise<AddressInfo> | undefined;
  private closePromise: Promise<void> | undefined;
  private idleWaiters: (() => void)[] = [];
  private lastRejectWarning = 0;
  private suppressedRejects = 0;

  constructor(options: TimeServerOptions = {}) {
    super();
    this.host = options.host ?? DEFAULTS.host;
    this.port = options.port ?? DEFAULTS.port;
    this.maxConnections = options.maxConnections ?? DEFAULTS.maxConnections;
    this.idleTimeoutMs = (options.idleTimeout ?? DEFAULTS.idleTimeout) * 1000;
    this.maxLine = options.maxLine ?? DEFAULTS.maxLine;
    this.closeGraceMs = options.closeGrace ?? DEFAULTS.closeGrace;
    this.logger = options.logger ?? SILENT_LOGGER;
    this.clock = options.clock ?? Date.now;
    this.replies = new TimeReplyCache(timeOfDayFormatter(options.timeZone));
    this.coarseNow = Date.now();
    this.listener = net.createServer({ allowHalfOpen: true, noDelay: true }, (socket) =>
      this.accept(socket),
    );
    this.listener.on("error", (error) => this.listenerError(error));
  }

  /** Live sessions, closing ones included. */
  get connections(): number {
    return this.sessions.size;
  }

  /** The bound address, once listening. */
  address(): AddressInfo | null {
    const address = this.listener.address();
    return address !== null && typeof address === "object" ? address : null;
  }

  listen(): Promise<AddressInfo> {
    if (this.state !== "new") {
      return Promise.reject(new TimeServerError("TS_ERR_STATE", "the server was already started"));
    }
    this.state = "starting";
    this.started = new Promise((resolve, reject) => {
      const onError = (error: Error) => {
        this.state = "closed";
        reject(
          new TimeServerError(
            "TS_ERR_LISTEN",
            `cannot listen on ${formatHostPort(this.host, this.port)}: ${describeSystemError(error)}`,
            { cause: error },
          ),
        );
      };
      this.listener.once("error", onError);
      this.listener.listen({ host: this.host, port: this.port, backlog: LISTEN_BACKLOG }, () => {
        this.listener.off("error", onError);
        this.state = "listening";
        this.housekeeping = setInterval(() => this.sweep(), HOUSEKEEPING_INTERVAL_MS);
        this.housekeeping.unref();
        const address = this.address() as AddressInfo;
        if (this.logger.infoOn) {
          this.logger.lifecycle(
            "info",
            `Listening on ${formatHostPort(address.address, address.port)}`,
            {
              event: "listening",
              address: address.address,
              port: address.port,
            },
          );
        }
        this.emit("listening", address);
        resolve(address);
      });
    });
    return this.started;
  }

  /**
   * Graceful shutdown: stop accepting, let every session flush what it owes
   * and send FIN, then destroy whatever is still open after `closeGrace`.
   * Requests already read have been answered (answers are written as the bytes
   * are read), so nothing received is left unanswered.
   */
  close(): Promise<void> {
    if (this.closePromise !== undefined) return this.closePromise;
    if (this.state === "starting") {
      // Let the bind finish (or fail), then close what it opened.
      const started = this.started as Promise<AddressInfo>;
      this.closePromise = started.then(
        () => {
          this.closePromise = undefined;
          return this.close();
        },
        () => undefined,
      );
      return this.closePromise;
    }
    const wasListening = this.state === "listening";
    this.state = "closing";
    this.closePromise = new Promise<void>((resolve) => {
      const finish = () => {
        if (this.housekeeping !== undefined) clearInterval(this.housekeeping);
        this.state = "closed";
        this.emit("close");
        resolve();
      };
      if (!wasListening) {
        finish();
        return;
      }
      let listenerClosed = false;
      let sessionsClosed = this.sessions.size === 0;
      const maybeFinish = () => {
        if (listenerClosed && sessionsClosed) finish();
      };
      this.listener.close(() => {
        listenerClosed = true;
        maybeFinish();
      });
      if (!sessionsClosed) {
        const force = setTimeout(() => {
          for (const session of this.sessions) session.destroy();
        }, this.closeGraceMs);
        this.idleWaiters.push(() => {
          clearTimeout(force);
          sessionsClosed = true;
          maybeFinish();
        });
        for (const session of this.sessions) session.close("shutdown");
      }
    });
    return this.closePromise;
  }

  sessionPaused(session: Session): void {
    if (this.logger.debugOn) {
      this.logger.debug(`Client ${session.peer} is not reading its replies; pausing its input`, {
        event: "backpressure",
        remoteAddress: session.remoteAddress,
        remotePort: session.remotePort,
      });
    }
    this.emit("backpressure", infoOf(session));
  }

  sessionClosed(session: Session): void {
    if (!this.sessions.delete(session)) return;
    if (this.logger.infoOn) {
      this.logger.info(`Connection closed from ${session.peer}`, {
        event: "disconnect",
        reason: session.closeReason ?? "peer-closed",
        remoteAddress: session.remoteAddress,
        remotePort: session.remotePort,
      });
    }
    // Per-connection events build their payload only for someone listening.
    if (this.listenerCount("disconnect") > 0) {
      this.emit("disconnect", infoOf(session), session.closeReason ?? "error");
    }
    if (this.sessions.size === 0 && this.idleWaiters.length > 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const waiter of waiters) waiter();
    }
  }

  private accept(socket: Socket): void {
    if (this.state !== "listening") {
      socket.destroy();
      return;
    }
    if (this.sessions.size >= this.maxConnections) {
      this.reject(socket);
      return;
    }
    this.stats.accepted++;
    const session = new Session(socket, this);
    this.sessions.add(session);
    if (this.logger.infoOn) {
      this.logger.info(`Connection from ${session.peer}`, {
        event: "connection",
        remoteAddress: session.remoteAddress,
        remotePort: session.remotePort,
      });
    }
    if (this.listenerCount("connection") > 0) this.emit("connection", infoOf(session));
  }

  private reject(socket: Socket): void {
    this.stats.rejected++;
    const info = {
      remoteAddress: socket.remoteAddress ?? "unknown",
      remotePort: socket.remotePort ?? 0,
    };
    socket.on("error", ignoreError);
    socket.destroy();
    if (this.logger.warnOn) {
      const now = Date.now();
      if (now - this.lastRejectWarning >= REJECT_WARNING_INTERVAL_MS) {
        const more =
          this.suppressedRejects > 0
            ? ` (${this.suppressedRejects} more rejected since the last warning)`
            : "";
        this.logger.warn(
          `Connection limit of ${this.maxConnections} reached: rejected ${formatHostPort(info.remoteAddress, info.remotePort)}${more}`,
          { event: "rejected", ...info, suppressed: this.suppressedRejects },
        );
        this.lastRejectWarning = now;
        this.suppressedRejects = 0;
      } else {
        this.suppressedRejects++;
      }
    }
    this.emit("rejected", info);
  }

  /** Runs once a second: advances the coarse clock, ends idle sessions and reaps lingering ones. */
  private sweep(): void {
    const now = Date.now();
    this.coarseNow = now;
    const idleMs = this.idleTimeoutMs;
    for (const session of this.sessions) {
      if (session.closingSince !== 0) {
        if (now - session.closingSince >= this.closeGraceMs) session.destroy();
      } else if (idleMs > 0 && now - session.lastActive >= idleMs) {
        if (this.logger.infoOn) {
          this.logger.info(`Idle timeout: closing connection from ${session.peer}`, {
            event: "idle-timeout",
            remoteAddress: session.remoteAddress,
            remotePort: session.remotePort,
          });
        }
        session.close("idle-timeout");
      }
    }
  }

  private listenerError(error: Error): void {
    // Errors before listening are the listen() promise's; after, they are
    // accept() failures such as EMFILE, which must not take the server down.
    if (this.state !== "listening") return;
    if (this.logger.errorOn) {
      this.logger.error(`Accepting a connection failed: ${describeSystemError(error)}`, {
        event: "accept-error",
        code: (error as NodeJS.ErrnoException).code,
      });
    }
  }
}

function infoOf(session: Session): ConnectionInfo {
  return { remoteAddress: session.remoteAddress, remotePort: session.remotePort };
}

function ignoreError(): void {}

export function createTimeServer(options: TimeServerOptions = {}): TimeServer {
  return new TimeServer(options);
}
