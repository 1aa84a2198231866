/**
 * The first step of a PROXY-protocol connection: read the header, through
 * the sans-I/O parser, and nothing else, then hand the connection back to
 * its listener with the client the header named, for admission. The parser
 * consumes exactly the header's length; whatever followed it in the same
 * read is handed on too, for the service behind the proxy.
 */

import type { Peer } from "../policy/admission.js";
import { ProxyHeaderParser } from "../protocols/proxy-header.js";
import type { Connection, ConnectionHandler } from "./connection.js";

/** What the listener does once the header is read or has failed. */
export interface ProxyHandshakeOwner {
  /** The header named `client` (the proxy itself for LOCAL and UNKNOWN): admit it, then serve `rest`. */
  proxyHeaderRead(connection: Connection, client: Peer, rest: Buffer): void;
  /** No valid header: the connection is refused as "proxy-error", `reason` for the log. */
  proxyHeaderFailed(connection: Connection, reason: string): void;
}

export class ProxyHandshake implements ConnectionHandler {
  private readonly parser = new ProxyHeaderParser();

  constructor(
    private readonly connection: Connection,
    private readonly owner: ProxyHandshakeOwner,
  ) {}

  receive(chunk: Buffer): void {
    const result = this.parser.receiveData(chunk);
    if (result.status === "error") {
      this.owner.proxyHeaderFailed(this.connection, result.reason);
    } else if (result.status === "done") {
      const addresses = result.header.addresses;
      // LOCAL (a proxy's own health check) and UNKNOWN are served as the proxy itself.
      const client: Peer =
        result.header.command === "proxy" && addresses !== null
          ? { address: addresses.sourceAddress, port: addresses.sourcePort }
          : this.connection.peer;
      this.owner.proxyHeaderRead(this.connection, client, result.rest);
    }
  }

  peerFinished(): void {
    this.owner.proxyHeaderFailed(this.connection, "closed before a complete PROXY header");
  }
}
