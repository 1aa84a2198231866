/**
 * Whether a new client is let in: the one question every listener asks, for
 * every accepted connection and every datagram, before any byte is read or
 * answered. Today it knows the connection limit; access lists, per-address
 * limits and rates plug in here, so every protocol gets them at once.
 */

import type { Peer } from "./peer.js";

export type Refusal = "limit" | "per-address-limit" | "acl" | "rate-limit" | "proxy-error";

export interface Admission {
  /**
   * Undefined to admit `peer`'s connection to a listener that already holds
   * `open` connections of at most `max`; else why not. An admitted
   * connection must be handed back with `connectionEnded`.
   */
  admitConnection(peer: Peer, open: number, max: number): Refusal | undefined;
  connectionEnded(peer: Peer): void;
  /** Undefined to answer `peer`'s datagram; else why not. */
  admitDatagram(peer: Peer): Refusal | undefined;
}

/** Admission by the listener's connection limit alone. */
export const LIMIT_ONLY: Admission = {
  admitConnection(_peer, open, max) {
    return open >= max ? "limit" : undefined;
  },
  connectionEnded() {},
  admitDatagram() {
    return undefined;
  },
};
