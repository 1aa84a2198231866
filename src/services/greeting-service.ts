/**
 * What RFC 867 (daytime) and RFC 868 (time) have in common: the reply does
 * not depend on what the client sends. Over TCP it is sent on connect and the
 * connection closed (input is ignored); over UDP every datagram, whatever it
 * holds, gets one reply datagram. A protocol supplies only `replyAt(now)` and
 * how to show the reply in a log line.
 */

import type { Clock } from "../clock/clock.js";
import type { Logger } from "../logging/logger.js";
import type { Counter, CounterRegistry } from "../metrics/counters.js";
import { requestCounter, sentBytesCounter } from "../metrics/server-metrics.js";
import { type Admission, LIMIT_ONLY } from "../transport/admission.js";
import type { Connection } from "../transport/connection.js";
import type { Peer } from "../transport/peer.js";
import type { TcpService } from "../transport/tcp-listener.js";
import type { UdpService } from "../transport/udp-listener.js";

export interface GreetingProtocol {
  /** The protocol's name in logs and counters: daytime, rfc868. */
  readonly name: string;
  /** How a request reads in the log: "DAYTIME", "TIME (RFC 868)". */
  readonly request: string;
  replyAt(epochMs: number): Buffer;
  /** The reply as the log shows it. */
  describe(reply: Buffer, epochMs: number): string;
}

export interface GreetingServiceOptions {
  logger: Logger;
  clock: Clock;
  counters: CounterRegistry;
  admission?: Admission;
}

export class GreetingService implements TcpService, UdpService {
  readonly name: string;
  private readonly logger: Logger;
  private readonly clock: Clock;
  private readonly servedTcp: Counter;
  private readonly servedUdp: Counter;
  private readonly limitedTcp: Counter;
  private readonly sentTcp: Counter;
  private readonly admission: Admission;

  constructor(
    private readonly protocol: GreetingProtocol,
    options: GreetingServiceOptions,
  ) {
    this.name = protocol.name;
    this.logger = options.logger;
    this.clock = options.clock;
    this.servedTcp = requestCounter(options.counters, protocol.name, "tcp", "ok");
    this.servedUdp = requestCounter(options.counters, protocol.name, "udp", "ok");
    this.limitedTcp = requestCounter(options.counters, protocol.name, "tcp", "rate-limited");
    // What a TCP client sends is never read as a request, so only bytes out are counted.
    this.sentTcp = sentBytesCounter(options.counters, protocol.name, "tcp");
    this.admission = options.admission ?? LIMIT_ONLY;
  }

  /**
   * TCP: the reply, then close; whatever the client sends is ignored. A
   * connection is one request: over its address's rate, it is closed with no
   * byte sent, as a datagram would be dropped.
   */
  open(connection: Connection): void {
    if (!this.admission.takeRequest(connection.peer)) {
      this.limitedTcp.value++;
      connection.destroy();
      return;
    }
    const reply = this.reply(
      connection.peer,
      connection.healthCheck ? this.logger.demoted() : this.logger,
    );
    this.servedTcp.value++;
    this.sentTcp.value += reply.length;
    connection.write(reply);
    connection.close("served");
  }

  /** UDP: one reply datagram for each request datagram, empty ones included. */
  handle(_datagram: Buffer, peer: Peer): Buffer {
    this.servedUdp.value++;
    return this.reply(peer);
  }

  private reply(peer: Peer, log: Logger = this.logger): Buffer {
    const now = this.clock.now();
    const reply = this.protocol.replyAt(now);
    if (log.infoOn) {
      log.info(`Received: ${this.protocol.request} request from ${peer.address}`, {
        event: "received",
        protocol: this.name,
        remoteAddress: peer.address,
        remotePort: peer.port,
      });
      log.info(`Sent: ${this.protocol.describe(reply, now)} to ${peer.address}`, {
        event: "sent",
        protocol: this.name,
        remoteAddress: peer.address,
        remotePort: peer.port,
      });
    }
    return reply;
  }
}
