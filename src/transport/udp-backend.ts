/**
 * How a UDP listener gets datagrams in and replies out, apart from what it
 * does with them: Node's dgram (everywhere) or the native module (Linux:
 * kernel receive timestamps, recvmmsg/sendmmsg batches, the NTP transmit
 * timestamp written just before the send). The listener's policy, counters
 * and logs are the same for both, per datagram.
 */

import type { AddressInfo } from "node:net";
import type { Peer } from "../policy/admission.js";

export type UdpBackendName = "native" | "dgram";
export const UDP_BACKENDS: readonly UdpBackendName[] = ["native", "dgram"];

/**
 * When a datagram arrived, as the backend knows it. One object per backend,
 * overwritten for every datagram: read it during the handler, never keep it.
 */
export interface Arrival {
  /** Receive time, whole Unix seconds. */
  sec: number;
  /** Receive time, nanoseconds (0–999,999,999). */
  nsec: number;
  /** True when the kernel stamped the datagram as it came in (SO_TIMESTAMPNS). */
  kernel: boolean;
}

/** Where to bind: an address and port, or an inherited socket. */
export type BindTarget =
  | { readonly address: string; readonly port: number; readonly family: 4 | 6 }
  | { readonly fd: number; readonly family: 4 | 6 };

export interface UdpBackendHandlers {
  /**
   * One datagram; a reply, if any, goes back with `send` before returning.
   * `arrival` is the kernel's receive time when the backend has one.
   */
  datagram(datagram: Buffer, peer: Peer, arrival: Arrival | undefined): void;
  /** A reply that could not be sent (after binding). */
  sendError(error: Error): void;
}

export interface UdpBackend {
  readonly name: UdpBackendName;
  bind(target: BindTarget, handlers: UdpBackendHandlers): Promise<AddressInfo>;
  address(): AddressInfo;
  /**
   * Sends `reply` to `peer` (the sender of the datagram being handled). With
   * `transmitAt`, the backend may overwrite the 8 bytes there with an NTP
   * timestamp read just before the datagram leaves; `stampsTransmit` says
   * whether it does.
   */
  send(reply: Buffer, peer: Peer, transmitAt?: number): void;
  readonly stampsTransmit: boolean;
  close(): Promise<void>;
}
