/**
 * One accepted TCP connection, as the transport sees it: the socket, the
 * peer, the deadlines the listener's sweep enforces (idle timeout, lingering
 * close), and the reasons reading is held (write backpressure, the turn
 * budget, a rate limit). What the bytes mean is the service's business: it
 * installs a handler and writes replies through `write()`.
 *
 * Socket handlers are module-level functions that find their connection
 * through a symbol on the socket (as ws does), so a connection costs no
 * closures.
 */

import type { Socket } from "node:net";
import type { Counter } from "../metrics/counters.js";
import type { Peer } from "../policy/admission.js";
import { formatPeer } from "./peer.js";

export type CloseReason =
  | "quit"
  | "peer-finished"
  | "line-too-long"
  | "idle-timeout"
  | "handshake-timeout"
  | "shutdown"
  | "served"
  | "error";

/** What a service does with a connection's events. */
export interface ConnectionHandler {
  receive(chunk: Buffer): void;
  /** The peer half-closed (EOF). */
  peerFinished(): void;
  /**
   * Shutdown: answer, now, every request already received (work put off to a
   * later turn or held by a rate limit included), before the close.
   */
  finish?(): void;
}

/** What a connection needs from the listener that owns it. */
export interface ConnectionOwner {
  /** Bytes the service reads and writes: counted here, for every TCP service alike. */
  readonly bytesReceived: Counter;
  readonly bytesSent: Counter;
  monotonic(): number;
  connectionPaused(connection: Connection): void;
  connectionFailed(connection: Connection, error: Error): void;
  /** Serving the connection threw: it has been destroyed, and only this connection ends. */
  connectionThrew(connection: Connection, error: unknown): void;
  connectionClosed(connection: Connection): void;
}

/** Reasons to stop reading a connection; reading resumes when none is left. */
export const HOLD_BACKPRESSURE = 1;
export const HOLD_BUDGET = 2;
export const HOLD_RATE = 4;

const kConnection = Symbol("timeserver.connection");
type OwnedSocket = Socket & { [kConnection]?: Connection };

export const NO_HANDLER: ConnectionHandler = { receive() {}, peerFinished() {} };

export class Connection {
  /** The client: the socket's peer, or the one a PROXY protocol header named. */
  peer: Peer;
  /** False while a PROXY header is awaited: admission has not yet seen the real client. */
  admitted = true;
  /** A proxy's own health check (PROXY v2 LOCAL): its routine lines are logged at debug, not info. */
  healthCheck = false;
  /** Monotonic time the connection was accepted (kept when its socket is wrapped in TLS). */
  openedAt: number;
  /**
   * On a TLS listener, from accept until the handshake is done (first
   * waiting for the client's first bytes, then in the handshake): the
   * handshake deadline applies, the idle timeout not yet.
   */
  tlsState: "awaiting-bytes" | "handshaking" | undefined = undefined;
  /** Monotonic time of the last sign of life, for the idle timeout. */
  lastActive: number;
  /** Monotonic time the connection began to close; -1 while open. */
  closingSince = -1;
  closeReason: CloseReason | undefined;
  handler: ConnectionHandler = NO_HANDLER;
  /** @internal the listener's ConnectionList */
  listed = false;
  /** @internal */
  prevLive: Connection | undefined = undefined;
  /** @internal */
  nextLive: Connection | undefined = undefined;
  private holds = 0;

  constructor(
    readonly socket: Socket,
    peer: Peer,
    private readonly owner: ConnectionOwner,
  ) {
    this.peer = peer;
    this.lastActive = owner.monotonic();
    this.openedAt = this.lastActive;
    (socket as OwnedSocket)[kConnection] = this;
    socket.on("data", onSocketData);
    socket.on("end", onSocketEnd);
    socket.on("error", onSocketError);
    socket.on("close", onSocketClose);
  }

  get closing(): boolean {
    return this.closingSince >= 0;
  }

  /** `address:port` of the peer, for logs. */
  get name(): string {
    return formatPeer(this.peer);
  }

  /**
   * Write a reply. When the client stops reading its replies, stop reading
   * its requests until they drain, so it cannot make us buffer without bound.
   */
  write(data: Buffer): void {
    this.owner.bytesSent.value += data.length;
    if (this.socket.destroyed) return;
    if (!this.socket.write(data) && (this.holds & HOLD_BACKPRESSURE) === 0) {
      this.hold(HOLD_BACKPRESSURE);
      // Listened for only now: most connections never fill their socket's buffer.
      this.socket.once("drain", onSocketDrain);
      this.owner.connectionPaused(this);
    }
  }

  /** Stop reading for `reason` (a HOLD_* bit) until `release(reason)`. */
  hold(reason: number): void {
    if (this.holds === 0 && !this.closing) this.socket.pause();
    this.holds |= reason;
  }

  release(reason: number): void {
    if ((this.holds & reason) === 0) return;
    this.holds &= ~reason;
    if (this.holds === 0 && !this.closing) this.socket.resume();
  }

  isHeld(reason: number): boolean {
    return (this.holds & reason) !== 0;
  }

  /**
   * Stop the conversation: pending replies are flushed, then FIN. Reading goes
   * on (and is discarded) so that unread input cannot turn our close into a
   * reset that destroys replies the client has not read yet (nginx's
   * lingering close); the listener destroys the socket if the client has not
   * closed its side within the grace time.
   */
  close(reason: CloseReason): void {
    if (this.closing) return;
    this.closingSince = this.owner.monotonic();
    this.closeReason = reason;
    this.handler = NO_HANDLER;
    this.socket.end();
    this.holds = 0;
    this.socket.resume();
  }

  /**
   * Hand the socket over (to a TLS layer built on it): this object stops
   * listening to it and must be dropped without a close.
   */
  detach(): Socket {
    const socket = this.socket;
    socket.off("data", onSocketData);
    socket.off("end", onSocketEnd);
    socket.off("error", onSocketError);
    socket.off("close", onSocketClose);
    socket.off("drain", onSocketDrain);
    (socket as OwnedSocket)[kConnection] = undefined;
    this.handler = NO_HANDLER;
    return socket;
  }

  /** Give up on a connection that would not close politely. */
  destroy(): void {
    this.socket.destroy();
  }

  /**
   * A throw while serving this client's bytes (a bug the client's input
   * found) ends this connection, not the process: the event handlers below
   * run on client input, outside any caller that could catch.
   */
  threw(error: unknown): void {
    this.handler = NO_HANDLER;
    if (this.closeReason === undefined) this.closeReason = "error";
    this.socket.destroy();
    this.owner.connectionThrew(this, error);
  }

  /** @internal socket events */
  onData(chunk: Buffer): void {
    if (this.closing) return;
    this.lastActive = this.owner.monotonic();
    // A PROXY header is the proxy's, not the client's: not counted.
    if (this.admitted) this.owner.bytesReceived.value += chunk.length;
    try {
      this.handler.receive(chunk);
    } catch (error) {
      this.threw(error);
    }
  }

  /** @internal */
  onEnd(): void {
    if (this.closing) return;
    try {
      this.handler.peerFinished();
    } catch (error) {
      this.threw(error);
    }
  }

  /** @internal */
  onDrain(): void {
    this.lastActive = this.owner.monotonic();
    this.release(HOLD_BACKPRESSURE);
  }

  /** @internal */
  onError(error: Error): void {
    if (this.closeReason === undefined) this.closeReason = "error";
    this.owner.connectionFailed(this, error);
  }

  /** @internal */
  onClose(): void {
    this.handler = NO_HANDLER;
    this.owner.connectionClosed(this);
  }
}

function connectionOf(socket: Socket): Connection {
  return (socket as OwnedSocket)[kConnection] as Connection;
}

function onSocketData(this: Socket, chunk: Buffer): void {
  connectionOf(this).onData(chunk);
}

function onSocketEnd(this: Socket): void {
  connectionOf(this).onEnd();
}

function onSocketDrain(this: Socket): void {
  connectionOf(this).onDrain();
}

function onSocketError(this: Socket, error: Error): void {
  connectionOf(this).onError(error);
}

function onSocketClose(this: Socket): void {
  connectionOf(this).onClose();
}
