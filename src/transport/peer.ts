/**
 * Who is on the other end. The transport makes this once per connection or
 * datagram, and everything after it (admission, services, logs, counters)
 * reads the client's address from here and nowhere else, so a PROXY
 * protocol header can later put the real client here for all of them.
 */

import { formatHostPort } from "../errors.js";

export interface Peer {
  /** As Node reports it: 127.0.0.1, ::1, ::ffff:10.0.0.1. */
  readonly address: string;
  readonly port: number;
}

export function peerOf(remote: { remoteAddress?: string; remotePort?: number }): Peer {
  return { address: remote.remoteAddress ?? "unknown", port: remote.remotePort ?? 0 };
}

/** `address:port`, IPv6 in brackets. */
export function formatPeer(peer: Peer): string {
  return formatHostPort(peer.address, peer.port);
}
