/**
 * A TCP listener that knows nothing of any protocol: it binds (or adopts an
 * inherited socket), asks admission about every accepted connection, tracks
 * the live ones, enforces their deadlines (idle timeout and lingering close)
 * and shuts down gracefully. What a connection's bytes mean is the service's
 * job: the listener hands each admitted connection to `service.open()`.
 */

import { EventEmitter } from "node:events";
import net, { type AddressInfo, type Socket } from "node:net";
import { type Clock, SYSTEM_CLOCK, type Timer } from "../clock/clock.js";
import { TimeServerError } from "../errors.js";
import * as log from "../logging/log-events.js";
import { type Logger, SILENT_LOGGER } from "../logging/logger.js";
import { ThrottledLog } from "../logging/throttled-log.js";
import { Counter, CounterRegistry } from "../metrics/counters.js";
import {
  byteCounters,
  handshakeTimeoutCounter,
  internalErrorCounter,
  type ListenerMetrics,
  listenerMetrics,
  sentBytesCounter,
} from "../metrics/server-metrics.js";
import {
  type Admission,
  type ConnectionVerdict,
  LIMIT_ONLY,
  type Peer,
  type Refusal,
} from "../policy/admission.js";
import {
  type CloseReason,
  Connection,
  type ConnectionOwner,
  HOLD_RATE,
  NO_HANDLER,
} from "./connection.js";
import { ConnectionList } from "./connection-list.js";
import type { DescriptorBudget } from "./descriptor-budget.js";
import { DESCRIPTOR_HEADROOM, openDescriptors, openFileLimit } from "./descriptor-limit.js";
import { describeListenTarget, listenFailure } from "./listen-target.js";
import { SocketPeer } from "./peer.js";
import { ProxyHandshake, type ProxyHandshakeOwner } from "./proxy-handshake.js";
import {
  TLS_HANDSHAKE_TIMEOUT_S,
  TLS_MAX_HANDSHAKES,
  type TlsListenerOptions,
  TlsStart,
  unread,
} from "./tls-start.js";

export interface TcpService {
  /** The protocol's name, for logs and counters: line, daytime, rfc868. */
  readonly name: string;
  /**
   * False for a service that never reads what its clients send (daytime and
   * RFC 868 over TCP): the listener then counts its bytes out only.
   */
  readonly readsRequests: boolean;
  /** Take over an admitted connection: install its handler, maybe write a greeting. */
  open(connection: Connection): void;
}

export interface TcpListenerOptions {
  service: TcpService;
  /** The listener's name in logs and counters; default the service's (the TLS port says "tls"). */
  name?: string;
  host: string;
  port: number;
  /** An inherited listening socket (systemd) to adopt instead of binding. */
  fd?: number;
  maxConnections: number;
  /** Milliseconds without a byte from the client before it is closed; 0 = never. */
  idleTimeoutMs: number;
  /** Milliseconds a closing connection may linger, and shutdown may wait, before sockets are destroyed. */
  closeGraceMs: number;
  logger?: Logger;
  clock?: Clock;
  counters?: CounterRegistry;
  admission?: Admission;
  /**
   * Require a PROXY protocol header (v1 or v2) at the start of every
   * connection, from a proxy `trusted` admits; its source address becomes
   * the client's address everywhere.
   */
  proxyProtocol?: { trusted: (address: string) => boolean };
  /**
   * Serve over TLS: the handshake starts only after admission (a refused
   * client gets no byte) and only once the client's first bytes arrive
   * (tls-start.ts says why), within a deadline and a cap of its own.
   */
  tls?: TlsListenerOptions;
  /**
   * TLS with the default deadline (the idle timeout, else
   * TLS_HANDSHAKE_TIMEOUT_S) and cap: `tls: { wrap, … }` in short.
   */
  wrap?: (socket: Socket) => Socket;
  /**
   * The process's descriptor budget, shared with its other listeners; without
   * one the listener fits its own limit under the descriptor limit alone.
   */
  descriptors?: DescriptorBudget;
}

/** Why a connection was closed unserved: policy's refusals, and a bad PROXY header (the listener's own). */
export type RefuseReason = Refusal | "proxy-error" | "handshake-limit" | "descriptor-limit";

export interface ConnectionInfo {
  remoteAddress: string;
  remotePort: number;
}

export interface TcpListenerEvents {
  listening: [address: AddressInfo];
  connection: [info: ConnectionInfo];
  rejected: [info: ConnectionInfo, reason: RefuseReason];
  /** A client stopped reading its replies and the server stopped reading its requests. */
  backpressure: [info: ConnectionInfo];
  disconnect: [info: ConnectionInfo, reason: CloseReason];
  close: [];
}

/**
 * How often deadlines are checked. A deadline is never early (it is measured
 * from the exact time of the last read) and at most this much late.
 */
export const SWEEP_INTERVAL_MS = 250;
const LISTEN_BACKLOG = 1024;
/** A PROXY header must be complete this long after the connection is accepted. */
export const PROXY_HEADER_TIMEOUT_MS = 3000;

type State = "new" | "starting" | "listening" | "closing" | "closed";

export class TcpListener
  extends EventEmitter<TcpListenerEvents>
  implements ConnectionOwner, ProxyHandshakeOwner
{
  readonly service: TcpService;
  readonly name: string;
  readonly host: string;
  readonly port: number;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly counters: CounterRegistry;
  readonly idleTimeoutMs: number;
  readonly closeGraceMs: number;
  /** The configured limit, and the one in force (lowered when the descriptor limit is lower). */
  readonly maxConnections: number;
  private effectiveMax: number;
  private readonly fd: number | undefined;
  private readonly admission: Admission;
  private readonly proxyProtocol: TcpListenerOptions["proxyProtocol"];
  private readonly tls: TlsListenerOptions | undefined;
  private readonly descriptors: DescriptorBudget | undefined;
  /** TLS handshakes begun and not yet done or ended. */
  private handshakes = 0;
  private handshakeTimeouts: Counter | undefined;
  private readonly metrics: ListenerMetrics;
  /** Made at the first one: a series that is a bug when it shows is not shown at 0. */
  private internalErrors: Counter | undefined;
  readonly bytesReceived: Counter;
  readonly bytesSent: Counter;
  private readonly server: net.Server;
  private readonly live = new ConnectionList();
  private readonly throttle: ThrottledLog;
  private sweepTimer: Timer | undefined;
  private state: State = "new";
  private started: Promise<AddressInfo> | undefined;
  private closePromise: Promise<void> | undefined;
  private idleWaiters: (() => void)[] = [];

  constructor(options: TcpListenerOptions) {
    super();
    this.service = options.service;
    this.name = options.name ?? options.service.name;
    this.host = options.host;
    this.port = options.port;
    this.fd = options.fd;
    this.maxConnections = options.maxConnections;
    this.effectiveMax = options.maxConnections;
    this.idleTimeoutMs = options.idleTimeoutMs;
    this.closeGraceMs = options.closeGraceMs;
    this.logger = options.logger ?? SILENT_LOGGER;
    this.clock = options.clock ?? SYSTEM_CLOCK;
    this.counters = options.counters ?? new CounterRegistry();
    this.admission = options.admission ?? LIMIT_ONLY;
    this.proxyProtocol = options.proxyProtocol;
    this.tls =
      options.tls ??
      (options.wrap === undefined
        ? undefined
        : {
            wrap: options.wrap,
            handshakeTimeoutMs: options.idleTimeoutMs || TLS_HANDSHAKE_TIMEOUT_S * 1000,
            maxHandshakes: TLS_MAX_HANDSHAKES,
          });
    this.descriptors = options.descriptors;
    this.metrics = listenerMetrics(this.counters, this.name);
    // Bytes are the service's (the TLS port's plaintext counts as the line protocol's).
    const protocol = this.service.name;
    const bytes = this.service.readsRequests
      ? byteCounters(this.counters, protocol, "tcp")
      : { received: new Counter(), sent: sentBytesCounter(this.counters, protocol, "tcp") };
    this.bytesReceived = bytes.received;
    this.bytesSent = bytes.sent;
    this.throttle = new ThrottledLog(this.clock);
    this.server = net.createServer({ allowHalfOpen: true, noDelay: true }, (socket) =>
      this.accept(socket),
    );
    this.server.on("error", (error) => this.serverError(error));
  }

  /** Live connections, closing ones included. */
  get connections(): number {
    return this.live.size;
  }

  /** Connections closed by the server and lingering until the client closes too. */
  get closingConnections(): number {
    let count = 0;
    for (const connection of this.live) if (connection.closing) count++;
    return count;
  }

  /** The bound address, once listening. */
  address(): AddressInfo | null {
    const address = this.server.address();
    return address !== null && typeof address === "object" ? address : null;
  }

  /** Where this listener is, for messages: host:port, or the inherited descriptor. */
  get where(): string {
    return describeListenTarget(this.host, this.port, this.fd);
  }

  listen(): Promise<AddressInfo> {
    if (this.state !== "new") {
      return Promise.reject(
        new TimeServerError("TS_ERR_STATE", "the listener was already started"),
      );
    }
    this.state = "starting";
    this.started = new Promise((resolve, reject) => {
      const onError = (error: Error) => {
        this.state = "closed";
        reject(listenFailure(this.where, error));
      };
      this.server.once("error", onError);
      const target =
        this.fd === undefined
          ? { host: this.host, port: this.port, backlog: LISTEN_BACKLOG }
          : { fd: this.fd, backlog: LISTEN_BACKLOG };
      this.server.listen(target, () => {
        this.server.off("error", onError);
        this.state = "listening";
        if (this.descriptors === undefined) this.fitToDescriptorLimit();
        this.sweepTimer = this.clock.every(SWEEP_INTERVAL_MS, () => this.sweep());
        const address = this.address() as AddressInfo;
        log.tcpListening(this.logger, this.name, address.address, address.port);
        this.emit("listening", address);
        resolve(address);
      });
    });
    return this.started;
  }

  /**
   * Graceful shutdown: stop accepting, let every connection flush what it
   * owes and send FIN, then destroy whatever is still open after the grace.
   */
  close(): Promise<void> {
    if (this.closePromise !== undefined) return this.closePromise;
    if (this.state === "starting") {
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
        this.sweepTimer?.cancel();
        this.state = "closed";
        this.emit("close");
        resolve();
      };
      if (!wasListening) {
        finish();
        return;
      }
      let serverClosed = false;
      let connectionsClosed = this.live.size === 0;
      const maybeFinish = () => {
        if (serverClosed && connectionsClosed) finish();
      };
      this.server.close(() => {
        serverClosed = true;
        maybeFinish();
      });
      if (!connectionsClosed) {
        const force = this.clock.after(this.closeGraceMs, () => {
          for (const connection of this.live) connection.destroy();
        });
        this.idleWaiters.push(() => {
          force.cancel();
          connectionsClosed = true;
          maybeFinish();
        });
        for (const connection of this.live) {
          // Nothing already received goes unanswered: put-off work is done now.
          connection.handler.finish?.();
          connection.close("shutdown");
        }
      }
    });
    return this.closePromise;
  }

  /** Check every deadline now (the sweep timer does this every SWEEP_INTERVAL_MS). */
  sweep(): void {
    const now = this.clock.monotonic();
    const idleMs = this.idleTimeoutMs;
    for (const connection of this.live) {
      if (connection.closing) {
        if (now - connection.closingSince >= this.closeGraceMs) connection.destroy();
      } else if (!connection.admitted) {
        if (now - connection.openedAt >= PROXY_HEADER_TIMEOUT_MS) {
          this.refuseLate(connection, "proxy-error", "no complete PROXY header within 3 s");
        }
      } else if (connection.tlsState !== undefined) {
        const tls = this.tls as TlsListenerOptions;
        if (now - connection.openedAt >= tls.handshakeTimeoutMs) this.handshakeTimedOut(connection);
      } else if (
        idleMs > 0 &&
        now - connection.lastActive >= idleMs &&
        !connection.isHeld(HOLD_RATE)
      ) {
        log.idleTimeout(this.logger, connection.peer);
        connection.close("idle-timeout");
      }
    }
  }

  monotonic(): number {
    return this.clock.monotonic();
  }

  connectionPaused(connection: Connection): void {
    log.backpressure(this.logger, connection.peer);
    if (this.listenerCount("backpressure") > 0) this.emit("backpressure", infoOf(connection));
  }

  connectionFailed(connection: Connection, error: Error): void {
    log.connectionError(this.logger, this.name, connection.peer, error);
  }

  connectionThrew(connection: Connection, error: unknown): void {
    this.internalError(error, connection.peer.address);
  }

  /** Counted, and logged at most once a second: a bug the client's input found, not the client's fault. */
  private internalError(error: unknown, address: string | undefined): void {
    this.internalErrors ??= internalErrorCounter(this.counters, this.name, "tcp");
    this.internalErrors.value++;
    if (this.logger.warnOn) {
      const suppressed = this.throttle.take("internal-error");
      if (suppressed !== undefined)
        log.internalError(this.logger, this.name, address, error, suppressed);
    }
  }

  connectionClosed(connection: Connection): void {
    if (!this.live.delete(connection)) return;
    this.descriptors?.give();
    if (connection.tlsState === "handshaking") this.handshakes--;
    this.metrics.active.value--;
    if (!connection.admitted) {
      // Never admitted (a PROXY header that never came, or a refused client): nothing to log.
      this.wakeIdleWaiters();
      return;
    }
    this.admission.connectionEnded(connection.peer);
    const logger = connection.healthCheck ? this.logger.demoted() : this.logger;
    if (logger.infoOn) {
      log.connectionClosed(logger, connection.peer, connection.closeReason ?? "peer-closed");
    }
    // Per-connection events build their payload only for someone listening.
    if (this.listenerCount("disconnect") > 0) {
      this.emit("disconnect", infoOf(connection), connection.closeReason ?? "error");
    }
    this.wakeIdleWaiters();
  }

  private wakeIdleWaiters(): void {
    if (this.live.size === 0 && this.idleWaiters.length > 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const waiter of waiters) waiter();
    }
  }

  /**
   * Whatever accepting and opening a connection throws (a TLS wrap, a
   * service's greeting) closes that client only.
   */
  private accept(raw: Socket): void {
    try {
      this.acceptSocket(raw);
    } catch (error) {
      raw.on("error", ignoreError);
      raw.destroy();
      this.internalError(error, raw.remoteAddress);
    }
  }

  private acceptSocket(raw: Socket): void {
    if (this.state !== "listening") {
      raw.on("error", ignoreError);
      raw.destroy();
      return;
    }
    const peer = new SocketPeer(raw);
    if (this.peerNeededLater()) peer.read();
    if (this.proxyProtocol !== undefined) {
      this.awaitProxyHeader(raw, peer);
      return;
    }
    const verdict = this.admit(peer, this.live.size);
    if (verdict.kind === "refuse") {
      this.refuse(raw, { remoteAddress: peer.address, remotePort: peer.port }, verdict.reason);
      return;
    }
    if (this.descriptors?.take() === false) {
      this.refuse(raw, { remoteAddress: peer.address, remotePort: peer.port }, "descriptor-limit");
      return;
    }
    this.metrics.accepted.value++;
    this.metrics.active.value++;
    const connection = new Connection(raw, peer, this);
    this.live.add(connection);
    if (this.tls !== undefined) {
      connection.tlsState = "awaiting-bytes";
      connection.handler = new TlsStart(
        (first) => this.startTls(connection, first),
        () => connection.destroy(),
      );
      return;
    }
    this.opened(connection, undefined);
  }

  /**
   * The client's first bytes: over the cap of handshakes in progress it is
   * refused; else TLS is built on its socket (which reads `first` again) and
   * the service gets the connection.
   */
  private startTls(plain: Connection, first: Buffer): void {
    const tls = this.tls as TlsListenerOptions;
    if (this.handshakes >= tls.maxHandshakes) {
      this.refuseLate(plain, "handshake-limit", `${tls.maxHandshakes} TLS handshakes in progress`);
      return;
    }
    const raw = plain.detach();
    this.live.delete(plain);
    unread(raw, first);
    const connection = new Connection(tls.wrap(raw), plain.peer, this);
    connection.openedAt = plain.openedAt;
    connection.tlsState = "handshaking";
    this.handshakes++;
    this.live.add(connection);
    connection.socket.once("secure", () => this.handshakeDone(connection));
    this.opened(connection, undefined);
  }

  private handshakeDone(connection: Connection): void {
    if (connection.tlsState !== "handshaking") return;
    connection.tlsState = undefined;
    this.handshakes--;
    // The idle timeout counts from here.
    connection.lastActive = this.clock.monotonic();
  }

  /** No handshake within the deadline: destroyed (there is no TLS to close politely), counted, logged. */
  private handshakeTimedOut(connection: Connection): void {
    const tls = this.tls as TlsListenerOptions;
    this.handshakeTimeouts ??= handshakeTimeoutCounter(this.counters, this.name);
    this.handshakeTimeouts.value++;
    connection.handler = NO_HANDLER;
    connection.closeReason = "handshake-timeout";
    connection.destroy();
    if (this.logger.infoOn) {
      const suppressed = this.throttle.take("handshake-timeout");
      if (suppressed !== undefined) {
        log.handshakeTimedOut(
          this.logger,
          this.name,
          connection.peer,
          tls.handshakeTimeoutMs,
          suppressed,
        );
      }
    }
  }

  /**
   * Whether anything may want the client's address once its socket has
   * closed (and can no longer say): admission, an info log line, an event
   * listener, TLS. Otherwise the address is read only if a warning asks for
   * it, and a short session at warn costs no getpeername at all.
   */
  private peerNeededLater(): boolean {
    return (
      this.admission.active !== false ||
      this.logger.infoOn ||
      this.proxyProtocol !== undefined ||
      this.tls !== undefined ||
      this.listenerCount("connection") > 0 ||
      this.listenerCount("disconnect") > 0 ||
      this.listenerCount("rejected") > 0 ||
      this.listenerCount("backpressure") > 0
    );
  }

  /**
   * A PROXY listener: only a trusted proxy may connect, and nothing is
   * served until its header has named the client. Then the client, not the
   * proxy, goes through admission, and the service gets the bytes after the
   * header.
   */
  private awaitProxyHeader(socket: Socket, proxy: Peer): void {
    const info = { remoteAddress: proxy.address, remotePort: proxy.port };
    if (
      !(this.proxyProtocol as NonNullable<TcpListenerOptions["proxyProtocol"]>).trusted(
        proxy.address,
      )
    ) {
      this.refuse(socket, info, "proxy-error", "not a trusted proxy");
      return;
    }
    if (this.live.size >= this.effectiveMax) {
      this.refuse(socket, info, "limit");
      return;
    }
    if (this.descriptors?.take() === false) {
      this.refuse(socket, info, "descriptor-limit");
      return;
    }
    this.metrics.active.value++;
    const connection = new Connection(socket, proxy, this);
    connection.admitted = false;
    this.live.add(connection);
    connection.handler = new ProxyHandshake(connection, this);
  }

  /** @internal the PROXY header named the client: the same admission as a direct client's. */
  proxyHeaderRead(connection: Connection, client: Peer, rest: Buffer): void {
    connection.peer = client;
    const verdict = this.admit(client, this.live.size - 1);
    if (verdict.kind === "refuse") {
      this.refuseLate(connection, verdict.reason);
      return;
    }
    connection.admitted = true;
    this.metrics.accepted.value++;
    this.opened(connection, rest);
  }

  /** @internal */
  proxyHeaderFailed(connection: Connection, reason: string): void {
    this.refuseLate(connection, "proxy-error", reason);
  }

  /**
   * Policy's one answer about a client's connection, asked at accept (or,
   * behind a PROXY header, once the header has named the client) with the
   * `open` connections there are besides it.
   */
  private admit(client: Peer, open: number): ConnectionVerdict {
    // With no address policy, the answer needs no address: never ask the kernel for one.
    const admission = this.admission.active === false ? LIMIT_ONLY : this.admission;
    return admission.admitConnection(client, open, this.effectiveMax);
  }

  /** Refuse a connection already accepted (a PROXY listener's): destroyed with no byte sent. */
  private refuseLate(connection: Connection, reason: RefuseReason, detail?: string): void {
    const info = { remoteAddress: connection.peer.address, remotePort: connection.peer.port };
    connection.handler = NO_HANDLER;
    this.refuse(connection.socket, info, reason, detail);
  }

  private opened(connection: Connection, rest: Buffer | undefined): void {
    const logger = connection.healthCheck ? this.logger.demoted() : this.logger;
    if (logger.infoOn) log.connectionOpened(logger, this.name, connection.peer);
    try {
      this.service.open(connection);
    } catch (error) {
      connection.threw(error);
      return;
    }
    if (this.listenerCount("connection") > 0) this.emit("connection", infoOf(connection));
    if (rest !== undefined && rest.length > 0 && !connection.closing) connection.onData(rest);
  }

  /** Close at once, with no byte sent; counted, and logged at most once a second per reason. */
  private refuse(
    socket: Socket,
    info: ConnectionInfo,
    reason: RefuseReason,
    detail?: string,
  ): void {
    socket.on("error", ignoreError);
    socket.destroy();
    this.metrics.refused(reason).value++;
    const level = log.refusalLevel(reason);
    if (level === "warn" ? this.logger.warnOn : this.logger.infoOn) {
      const suppressed = this.throttle.take(reason);
      if (suppressed !== undefined) {
        const max =
          reason === "descriptor-limit"
            ? (this.descriptors as DescriptorBudget).room
            : this.effectiveMax;
        log.connectionRefused(this.logger, this.name, info, reason, max, detail, suppressed);
      }
    }
    if (this.listenerCount("rejected") > 0) this.emit("rejected", info, reason);
  }

  /**
   * Keep the connection limit under the descriptor limit, so that running out
   * of descriptors shows as counted, logged refusals rather than connections
   * the kernel silently resets.
   */
  private fitToDescriptorLimit(): void {
    const limit = openFileLimit();
    const open = openDescriptors();
    if (limit === undefined || open === undefined) return;
    const room = Math.max(1, limit - open - DESCRIPTOR_HEADROOM);
    if (room >= this.maxConnections) return;
    this.effectiveMax = room;
    log.descriptorLimit(this.logger, this.name, limit, room, this.maxConnections);
  }

  private serverError(error: Error): void {
    // Errors before listening are the listen() promise's; after, they are
    // accept() failures, which must not take the server down.
    if (this.state !== "listening") return;
    this.metrics.acceptErrors.value++;
    if (this.logger.errorOn && this.throttle.take("accept-error") !== undefined) {
      log.acceptFailed(this.logger, error);
    }
  }
}

function infoOf(connection: Connection): ConnectionInfo {
  return { remoteAddress: connection.peer.address, remotePort: connection.peer.port };
}

function ignoreError(): void {}
