/**
 * The first thing a PROXY-protocol listener reads from a connection: the
 * header, through the sans-I/O parser, and nothing else. The parser consumes
 * exactly the header's length; whatever followed it in the same read is
 * handed on with the result, for the service behind the proxy.
 */

import { ProxyHeaderParser, type ProxyReceiveResult } from "../protocols/proxy-header.js";
import type { ConnectionHandler } from "./connection.js";

export class ProxyHandshake implements ConnectionHandler {
  private readonly parser = new ProxyHeaderParser();

  constructor(private readonly done: (result: ProxyReceiveResult) => void) {}

  receive(chunk: Buffer): void {
    const result = this.parser.receiveData(chunk);
    if (result.status !== "need-more") this.done(result);
  }

  peerFinished(): void {
    this.done({ status: "error", reason: "closed before a complete PROXY header" });
  }
}
