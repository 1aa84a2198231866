/**
 * The UDP backend on Node's dgram: one 'message' event and one send per
 * datagram, the receive time read by the service when the event loop gets to
 * it. It runs everywhere and is the fallback when the native module is
 * missing (and `--udp-backend dgram`).
 */

import dgram from "node:dgram";
import dns from "node:dns";
import { type AddressInfo, isIP } from "node:net";
import type { Peer } from "../policy/admission.js";
import type { BindTarget, UdpBackend, UdpBackendHandlers } from "./udp-backend.js";

export class DgramBackend implements UdpBackend {
  readonly name = "dgram";
  readonly stampsTransmit = false;
  private socket: dgram.Socket | undefined;

  bind(target: BindTarget, handlers: UdpBackendHandlers): Promise<AddressInfo> {
    const socket = dgram.createSocket({
      type: target.family === 6 ? "udp6" : "udp4",
      lookup: literalLookup,
    });
    this.socket = socket;
    return new Promise((resolve, reject) => {
      socket.once("error", reject);
      socket.bind("fd" in target ? { fd: target.fd } : target, () => {
        socket.off("error", reject);
        // Node's RemoteInfo already has the address and port a Peer needs.
        socket.on("message", (datagram, remote) => handlers.datagram(datagram, remote, undefined));
        // After binding, the socket's errors are failed sends (replies are sent without a callback).
        socket.on("error", (error) => handlers.sendError(error));
        resolve(socket.address());
      });
    });
  }

  address(): AddressInfo {
    return (this.socket as dgram.Socket).address();
  }

  send(reply: Buffer, peer: Peer): void {
    // No callback: Node then tries the send at once (uv_udp_try_send) and
    // makes no request object; a failure arrives as an 'error' event.
    (this.socket as dgram.Socket).send(reply, peer.port, peer.address);
  }

  close(): Promise<void> {
    const socket = this.socket;
    if (socket === undefined) return Promise.resolve();
    return new Promise((resolve) => socket.close(() => resolve()));
  }
}

type LookupCallback = (
  error: NodeJS.ErrnoException | null,
  address: string,
  family: number,
) => void;

/**
 * Every reply goes to the address recvmsg reported, an IP literal. dgram
 * passes each send's address through dns.lookup, which answers even a
 * literal on the next tick: a tick, a closure and a regex per datagram. A
 * literal is answered at once here; a name (a bind host) still goes to DNS.
 */
function literalLookup(hostname: string, options: unknown, callback: LookupCallback): void {
  const family = isIP(hostname);
  if (family !== 0) {
    callback(null, hostname, family);
    return;
  }
  dns.lookup(hostname, options as dns.LookupOneOptions, callback);
}
