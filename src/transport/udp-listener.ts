/**
 * A UDP listener that knows nothing of any protocol or policy: it binds (or
 * adopts an inherited socket), hands every datagram to the service (which
 * asks policy about it, once) and sends back whatever reply the service
 * makes, one datagram for one datagram; it counts the bytes both ways and the
 * datagrams that got no reply. Services never see the socket.
 */

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
import { createUdpBackend } from "./create-udp-backend.js";
import { describeListenTarget, listenFailure } from "./listen-target.js";
import { unmappedAddress } from "./peer.js";
import type { Arrival, UdpBackend, UdpBackendName } from "./udp-backend.js";

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
  /**
   * The reply to `datagram` from `peer`, or why there is none. `arrival` is
   * the kernel's receive time when the backend has one (and the listener
   * runs on the system clock); read it now, it is reused.
   */
  handle(datagram: Buffer, peer: Peer, arrival?: Arrival): Buffer | Drop;
  /**
   * Where `reply` carries the time it was sent (an NTP transmit timestamp
   * at byte 40), if it does: a backend that can writes it there itself, just
   * before the send.
   */
  transmitTimestampAt?(reply: Buffer): number | undefined;
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
  /** How datagrams come in and go out; undefined: native when available, else dgram. */
  backend?: UdpBackendName;
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
  private readonly backend: UdpBackend;
  private readonly family: 4 | 6;
  /** Kernel receive times are the system clock's: with another clock (tests), the clock reads. */
  private readonly kernelTime: boolean;
  /** Made at the first one: a series that is a bug when it shows is not shown at 0. */
  private internalErrors: Counter | undefined;
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
    this.kernelTime = (options.clock ?? SYSTEM_CLOCK) === SYSTEM_CLOCK;
    const bytes = byteCounters(this.counters, this.service.name, "udp");
    this.bytesIn = bytes.received;
    this.bytesOut = bytes.sent;
    this.sendErrors = droppedCounter(this.counters, this.service.name, "send-error");
    this.family = options.family ?? (isIP(this.host) === 6 ? 6 : 4);
    this.backend = createUdpBackend(
      options.backend,
      options.fd === undefined ? options.port : undefined,
    );
  }

  /** "native" or "dgram". */
  get backendName(): UdpBackendName {
    return this.backend.name;
  }

  /** The bound address, once listening. */
  address(): AddressInfo | null {
    return this.state === "listening" ? this.backend.address() : null;
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
    const family = this.family;
    const target =
      this.fd === undefined
        ? { address: this.host, port: this.port, family }
        : { fd: this.fd, family };
    const handlers = {
      datagram: (datagram: Buffer, remote: Peer, arrival: Arrival | undefined) =>
        this.receive(datagram, remote, this.kernelTime ? arrival : undefined),
      sendError: (error: Error) => this.socketError(error),
    };
    return this.backend.bind(target, handlers).then(
      (address) => {
        if (this.state !== "starting") {
          // Closed while binding.
          void this.backend.close();
          return address;
        }
        this.state = "listening";
        log.udpListening(
          this.logger,
          this.service.name,
          address.address,
          address.port,
          this.backend.name,
        );
        this.emit("listening", address);
        return address;
      },
      (error: Error) => {
        this.state = "closed";
        throw listenFailure(`${this.where} (UDP)`, error);
      },
    );
  }

  close(): Promise<void> {
    if (this.state !== "listening") {
      this.state = "closed";
      return Promise.resolve();
    }
    this.state = "closed";
    return this.backend.close().then(() => {
      this.emit("close");
    });
  }

  /**
   * Nothing a datagram holds may end the process: a throw while answering
   * it (a send refused synchronously, a service's bug) drops that datagram,
   * counted and logged like any other drop, and the next one is served.
   */
  private receive(datagram: Buffer, remote: Peer, arrival: Arrival | undefined): void {
    try {
      this.answer(datagram, remote, arrival);
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

  private answer(datagram: Buffer, remote: Peer, arrival: Arrival | undefined): void {
    this.bytesIn.value += datagram.length;
    // The address as received, unless IPv4-mapped (a dual-stack socket's
    // IPv4 client): the service and the logs see it as IPv4, the reply still
    // goes to the address as received.
    const address = unmappedAddress(remote.address);
    const peer: Peer = address === remote.address ? remote : { address, port: remote.port };
    // Source port 0 is legal on the wire (RFC 768: the port is optional) but
    // no reply can go back to it, and dgram throws at once if asked to try.
    if (remote.port === 0) {
      this.dropped(NO_SOURCE_PORT, peer);
      return;
    }
    const outcome = this.service.handle(datagram, peer, arrival);
    if (!Buffer.isBuffer(outcome)) {
      this.dropped(outcome, peer);
      return;
    }
    this.backend.send(
      outcome,
      remote,
      this.kernelTime ? this.service.transmitTimestampAt?.(outcome) : undefined,
    );
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
