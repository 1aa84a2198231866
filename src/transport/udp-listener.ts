/**
 * A UDP listener that knows nothing of any protocol or policy: it binds (or
 * adopts an inherited socket), hands every datagram to the service (which
 * asks policy about it, once) and sends back whatever reply the service
 * makes, one datagram for one datagram; it counts the bytes both ways and the
 * datagrams that got no reply. Services never see the socket.
 */

import dgram from "node:dgram";
import dns from "node:dns";
import { EventEmitter } from "node:events";
import { type AddressInfo, isIP } from "node:net";
import { type Clock, SYSTEM_CLOCK } from "../clock/clock.js";
import { describeSystemError, TimeServerError } from "../errors.js";
import * as log from "../logging/log-events.js";
import { type Logger, SILENT_LOGGER } from "../logging/logger.js";
import { oneLine, ThrottledLog } from "../logging/throttled-log.js";
import { type Counter, CounterRegistry } from "../metrics/counters.js";
import { byteCounters, droppedCounter, internalErrorCounter } from "../metrics/server-metrics.js";
import type { Peer } from "../policy/admission.js";
import { describeListenTarget, listenFailure } from "./listen-target.js";

/** Why a datagram got no reply, as its service says (a policy verdict's drop is one). */
export interface Drop {
  /**
   * Short and stable, for counters: "short", "mode", "version", "acl",
   * "rate-limit"; the listener's own "source-port" (port 0 cannot be
   * answered) and "error" (answering it threw).
   */
  readonly reason: string;
  /** For the log: "mode 6 (control)". */
  readonly detail?: string;
}

export interface UdpService {
  /** The protocol's name, for logs and counters: daytime, rfc868, ntp. */
  readonly name: string;
  /** The reply to `datagram` from `peer`, or why there is none. */
  handle(datagram: Buffer, peer: Peer): Buffer | Drop;
}

export interface UdpListenerOptions {
  service: UdpService;
  host: string;
  port: number;
  /** An inherited bound socket (systemd) to adopt instead of binding. */
  fd?: number;
  /** The inherited socket's address family; else the family of `host`. */
  family?: 4 | 6;
  logger?: Logger;
  clock?: Clock;
  counters?: CounterRegistry;
}

export interface UdpListenerEvents {
  listening: [address: AddressInfo];
  close: [];
}

export class UdpListener extends EventEmitter<UdpListenerEvents> {
  readonly service: UdpService;
  readonly host: string;
  readonly port: number;
  private readonly fd: number | undefined;
  private readonly logger: Logger;
  private readonly counters: CounterRegistry;
  private readonly throttle: ThrottledLog;
  private readonly drops = new Map<string, Counter>();
  private readonly bytesIn: Counter;
  private readonly bytesOut: Counter;
  private readonly sendErrors: Counter;
  /** Made at the first one: a series that is a bug when it shows is not shown at 0. */
  private internalErrors: Counter | undefined;
  private readonly socket: dgram.Socket;
  private state: "new" | "starting" | "listening" | "closed" = "new";

  constructor(options: UdpListenerOptions) {
    super();
    this.service = options.service;
    this.host = options.host;
    this.port = options.port;
    this.fd = options.fd;
    this.logger = options.logger ?? SILENT_LOGGER;
    this.counters = options.counters ?? new CounterRegistry();
    this.throttle = new ThrottledLog(options.clock ?? SYSTEM_CLOCK);
    const bytes = byteCounters(this.counters, this.service.name, "udp");
    this.bytesIn = bytes.received;
    this.bytesOut = bytes.sent;
    this.sendErrors = droppedCounter(this.counters, this.service.name, "send-error");
    const family = options.family ?? (isIP(this.host) === 6 ? 6 : 4);
    this.socket = dgram.createSocket({
      type: family === 6 ? "udp6" : "udp4",
      lookup: literalLookup,
    });
    this.socket.on("message", (datagram, remote) => this.receive(datagram, remote));
    this.socket.on("error", (error) => this.socketError(error));
  }

  /** The bound address, once listening. */
  address(): AddressInfo | null {
    return this.state === "listening" ? this.socket.address() : null;
  }

  get where(): string {
    return describeListenTarget(this.host, this.port, this.fd);
  }

  listen(): Promise<AddressInfo> {
    if (this.state !== "new") {
      return Promise.reject(
        new TimeServerError("TS_ERR_STATE", "the listener was already started"),
      );
    }
    this.state = "starting";
    return new Promise((resolve, reject) => {
      const onError = (error: Error) => {
        this.state = "closed";
        reject(listenFailure(`${this.where} (UDP)`, error));
      };
      this.socket.once("error", onError);
      const target =
        this.fd === undefined ? { address: this.host, port: this.port } : { fd: this.fd };
      this.socket.bind(target, () => {
        this.socket.off("error", onError);
        this.state = "listening";
        const address = this.socket.address();
        log.udpListening(this.logger, this.service.name, address.address, address.port);
        this.emit("listening", address);
        resolve(address);
      });
    });
  }

  close(): Promise<void> {
    if (this.state !== "listening") {
      this.state = "closed";
      return Promise.resolve();
    }
    this.state = "closed";
    return new Promise((resolve) => {
      this.socket.close(() => {
        this.emit("close");
        resolve();
      });
    });
  }

  /**
   * Nothing a datagram holds may end the process: a throw while answering
   * it (a send dgram refuses synchronously, a service's bug) drops that
   * datagram, counted and logged like any other drop, and the next one is
   * served.
   */
  private receive(datagram: Buffer, remote: dgram.RemoteInfo): void {
    try {
      this.answer(datagram, remote);
    } catch (error) {
      this.internalErrors ??= internalErrorCounter(this.counters, this.service.name, "udp");
      this.internalErrors.value++;
      this.dropped(
        { reason: "error", detail: oneLine(describeSystemError(error)) },
        remote,
        "warn",
      );
    }
  }

  private answer(datagram: Buffer, remote: dgram.RemoteInfo): void {
    this.bytesIn.value += datagram.length;
    // Node's RemoteInfo already has the address and port a Peer needs.
    const peer: Peer = remote;
    // Source port 0 is legal on the wire (RFC 768: the port is optional) but
    // no reply can go back to it, and dgram throws at once if asked to try.
    if (remote.port === 0) {
      this.dropped(NO_SOURCE_PORT, peer);
      return;
    }
    const outcome = this.service.handle(datagram, peer);
    if (!Buffer.isBuffer(outcome)) {
      this.dropped(outcome, peer);
      return;
    }
    // No callback: Node then tries the send at once (uv_udp_try_send) and
    // makes no request object; a failure arrives as an 'error' event.
    this.socket.send(outcome, remote.port, remote.address);
    this.bytesOut.value += outcome.length;
  }

  /** Counted by reason; logged at most once a second per reason, with how many were left out. */
  private dropped(drop: Drop, peer: Peer, level: "info" | "warn" = "info"): void {
    let counter = this.drops.get(drop.reason);
    if (counter === undefined) {
      counter = droppedCounter(this.counters, this.service.name, drop.reason);
      this.drops.set(drop.reason, counter);
    }
    counter.value++;
    if (!(level === "warn" ? this.logger.warnOn : this.logger.infoOn)) return;
    const suppressed = this.throttle.take(drop.reason);
    if (suppressed === undefined) return;
    log.datagramDropped(
      this.logger,
      this.service.name,
      peer,
      drop.reason,
      drop.detail,
      suppressed,
      level,
    );
  }

  /** After binding, the socket's errors are failed sends (replies are sent without a callback). */
  private socketError(error: Error): void {
    if (this.state !== "listening") return;
    this.sendErrors.value++;
    if (this.logger.warnOn && this.throttle.take("send-error") !== undefined) {
      log.sendFailed(this.logger, this.service.name, error);
    }
  }
}

const NO_SOURCE_PORT: Drop = { reason: "source-port", detail: "source port 0, no reply possible" };

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
