/**
 * Whether a new client is let in: the one question every listener asks, for
 * every accepted connection and every datagram, before any byte is read or
 * answered. Today it knows the connection limit; access lists, per-address
 * limits and rates plug in here, so every protocol gets them at once.
 */

import type { Peer } from "./peer.js";

export type Refusal =
  | "limit"
  | "per-address-limit"
  | "acl"
  | "rate-limit"
  | "proxy-error"
  | "handshake-limit"
  | "descriptor-limit";

export interface Admission {
  /**
   * False when no answer depends on the client's address (no access list, no
   * per-address limit, no rate): it then answers as LIMIT_ONLY does, and a
   * listener may ask LIMIT_ONLY instead and never ask the kernel for the
   * address. Absent counts as true.
   */
  readonly active?: boolean;
  /**
   * Undefined to admit `peer`'s connection to a listener that already holds
   * `open` connections of at most `max`; else why not. An admitted
   * connection must be handed back with `connectionEnded`.
   */
  admitConnection(peer: Peer, open: number, max: number): Refusal | undefined;
  connectionEnded(peer: Peer): void;
  /** Undefined to answer `peer`'s datagram (allowed, and within its rate); else why not. */
  admitDatagram(peer: Peer): Refusal | undefined;
  /** Spend one request of `peer`'s rate; false when it is over its rate. */
  takeRequest(peer: Peer): boolean;
  /** Milliseconds until `peer` may make its next request. */
  msUntilAllowed(peer: Peer): number;
  /** Whether an over-rate SNTP request of `peer` gets a Kiss-o'-Death rather than nothing. */
  kissOfDeath(peer: Peer): boolean;
}

/** Admission by the listener's connection limit alone. */
export const LIMIT_ONLY: Admission = {
  active: false,
  admitConnection(_peer, open, max) {
    return open >= max ? "limit" : undefined;
  },
  connectionEnded() {},
  admitDatagram() {
    return undefined;
  },
  takeRequest() {
    return true;
  },
  msUntilAllowed() {
    return 0;
  },
  kissOfDeath() {
    return false;
  },
};
