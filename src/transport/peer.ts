/**
 * Who is on the other end (a `Peer`, as policy defines it). The transport
 * makes this once per connection or datagram, and everything after it (admission, services, logs, counters)
 * reads the client's address from here and nowhere else, so a PROXY
 * protocol header can later put the real client here for all of them.
 */

import { formatHostPort } from "../errors.js";
import type { Peer } from "../policy/admission.js";

export interface RemoteEnd {
  readonly remoteAddress?: string | undefined;
  readonly remotePort?: number | undefined;
}

export function peerOf(remote: RemoteEnd): Peer {
  return { address: remote.remoteAddress ?? "unknown", port: remote.remotePort ?? 0 };
}

/**
 * A connected socket's peer, asked of the kernel (one getpeername) only the
 * first time anyone reads it: a short session at `--log-level warn` with no
 * address policy never needs it. The socket must still be open at that first
 * read (a closed socket has no peer, and reads as "unknown" port 0), so the
 * listener calls `read()` at accept whenever something may ask later.
 */
export class SocketPeer implements Peer {
  /** Whether the socket has been asked (tests, and code that must know it is cheap). */
  known = false;
  private knownAddress = "unknown";
  private knownPort = 0;

  constructor(private readonly socket: RemoteEnd) {}

  get address(): string {
    if (!this.known) this.read();
    return this.knownAddress;
  }

  get port(): number {
    if (!this.known) this.read();
    return this.knownPort;
  }

  /** Ask the socket now; later reads never ask again. */
  read(): void {
    if (this.known) return;
    this.known = true;
    this.knownAddress = this.socket.remoteAddress ?? "unknown";
    this.knownPort = this.socket.remotePort ?? 0;
  }
}

/** `address:port`, IPv6 in brackets. */
export function formatPeer(peer: Peer): string {
  return formatHostPort(peer.address, peer.port);
}
