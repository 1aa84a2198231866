/**
 * What RFC 867 (daytime) and RFC 868 (time) have in common: the reply does
 * not depend on what the client sends. Over TCP it is sent on connect and the
 * connection closed (input is ignored); over UDP every datagram, whatever it
 * holds, gets one reply datagram. A protocol supplies only `replyAt(now)` and
 * how to show the reply in a log line.
 */

import type { Clock } from "../clock/clock.js";
import { greetingServed } from "../logging/log-events.js";
import type { Logger } from "../logging/logger.js";
import type { Counter, CounterRegistry } from "../metrics/counters.js";
import { requestCounter } from "../metrics/server-metrics.js";
import { type Admission, LIMIT_ONLY, type Peer } from "../policy/admission.js";
import type { Connection } from "../transport/connection.js";
import type { TcpService } from "../transport/tcp-listener.js";
import type { Drop, UdpService } from "../transport/udp-listener.js";

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
  /** Over TCP, whatever the client sends is ignored: only bytes out are counted. */
  readonly readsRequests = false;
  private readonly logger: Logger;
  private readonly clock: Clock;
  private readonly servedTcp: Counter;
  private readonly servedUdp: Counter;
  private readonly limitedTcp: Counter;
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
    this.admission = options.admission ?? LIMIT_ONLY;
  }

  /**
   * TCP: the reply, then close; whatever the client sends is ignored. A
   * connection is one request: over its address's rate, it is closed with no
   * byte sent, as a datagram would be dropped.
   */
  open(connection: Connection): void {
    if (this.admission.admitRequest(connection.peer).kind !== "serve") {
      this.limitedTcp.value++;
      connection.destroy();
      return;
    }
    const reply = this.reply(
      connection.peer,
      connection.healthCheck ? this.logger.demoted() : this.logger,
    );
    this.servedTcp.value++;
    connection.write(reply);
    connection.close("served");
  }

  /**
   * UDP: one reply datagram for each request datagram policy lets through,
   * empty ones included. Policy's one answer covers the access list, the
   * greeting rate and the address's rate.
   */
  handle(_datagram: Buffer, peer: Peer): Buffer | Drop {
    const verdict = this.admission.admitDatagram(peer, "greeting");
    // Never a Kiss-o'-Death: only a kissable SNTP request may get one.
    if (verdict.kind === "drop") return verdict;
    this.servedUdp.value++;
    return this.reply(peer);
  }

  private reply(peer: Peer, log: Logger = this.logger): Buffer {
    const now = this.clock.now();
    const reply = this.protocol.replyAt(now);
    if (log.infoOn) {
      const shown = this.protocol.describe(reply, now);
      greetingServed(log, this.name, peer, this.protocol.request, shown);
    }
    return reply;
  }
}
