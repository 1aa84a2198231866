/**
 * When a TLS listener's connection gets its TLS layer, and how many may be
 * in their handshake at once.
 *
 * A TLS socket costs memory in OpenSSL before a byte is read: measured on
 * Node 20 (docs/hardening.md), a silent connection wrapped at accept holds
 * about 18 KiB against 7 KiB unwrapped, and when thousands of them end at
 * once (a NAT or load balancer resetting them) each one's EOF makes OpenSSL
 * allocate its record buffers, about 37 KiB more each, all in the same turn:
 * 9,000 such closes took a server past 256 MiB. So the TLS layer is built
 * only when the client's first bytes arrive; until then the connection is
 * plain TCP and ends as one. The bytes read are put back on the socket, and
 * Node's TLSSocket reads a socket's buffered bytes as its first input.
 *
 * A handshake in progress (a ClientHello read, no Finished yet) holds ~56
 * KiB: those are counted, and over `maxHandshakes` a new one is refused.
 */

import type { Socket } from "node:net";
import type { ConnectionHandler } from "./connection.js";

export interface TlsListenerOptions {
  /** Build the server side of TLS on an admitted socket (TlsContext.wrap). */
  wrap: (socket: Socket) => Socket;
  /** Milliseconds from accept for the handshake to be done; then the connection is destroyed. */
  handshakeTimeoutMs: number;
  /** Handshakes in progress at once on this listener; one more is refused. */
  maxHandshakes: number;
}

/** Defaults (docs/hardening.md says why). */
export const TLS_HANDSHAKE_TIMEOUT_S = 10;
export const TLS_MAX_HANDSHAKES = 512;

/** The handler of a TLS listener's connection until its first bytes: they start TLS. */
export class TlsStart implements ConnectionHandler {
  constructor(
    private readonly start: (first: Buffer) => void,
    private readonly ended: () => void,
  ) {}

  receive(chunk: Buffer): void {
    this.start(chunk);
  }

  /** EOF before any byte: nothing to say, no TLS to end politely. */
  peerFinished(): void {
    this.ended();
  }
}

/** Put `first` back on the paused socket, where the TLS layer built next will read it first. */
export function unread(socket: Socket, first: Buffer): void {
  socket.pause();
  socket.unshift(first);
}
