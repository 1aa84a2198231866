/**
 * The one way a server is built: everything one server process serves, made
 * from its config by the service table: the listeners, the services behind
 * them, and what they share (one clock, one counters registry, one turn
 * budget, one admission policy). Used alike by a single-process server
 * (server-process.ts), by each --workers worker (cluster/worker-process.ts)
 * and by the library's TimeServer (time-server.ts).
 */

import { randomFillSync } from "node:crypto";
import type { AddressInfo } from "node:net";
import type { TLSSocket } from "node:tls";
import { type Clock, SYSTEM_CLOCK, type Timer } from "../clock/clock.js";
import { DEFAULTS } from "../config/defaults.js";
import type { InheritedSocket } from "../config/inherited-sockets.js";
import type { ServerConfig } from "../config/server-config.js";
import { TimeServerError } from "../errors.js";
import * as log from "../logging/log-events.js";
import type { Logger } from "../logging/logger.js";
import { CounterRegistry, type MetricsSnapshot, sumSnapshots } from "../metrics/counters.js";
import { AccessList } from "../policy/access-list.js";
import { AdmissionPolicy } from "../policy/admission-policy.js";
import { Cidr } from "../policy/cidr.js";
import { CookieJar } from "../protocols/nts/cookies.js";
import { NTS_KE_ALPN } from "../protocols/nts/ke-records.js";
import { createDaytimeService } from "../services/daytime-service.js";
import type { GreetingService } from "../services/greeting-service.js";
import { LineService } from "../services/line-service.js";
import { NtsKeService } from "../services/nts-ke-service.js";
import { NtsNtpService } from "../services/nts-ntp-service.js";
import { createRfc868Service } from "../services/rfc868-service.js";
import { SntpService } from "../services/sntp-service.js";
import { TurnBudget } from "../services/turn-budget.js";
import { DescriptorBudget } from "../transport/descriptor-budget.js";
import { memoryAvailable, tlsConnectionsThatFit } from "../transport/memory-limit.js";
import { sivFactory } from "../transport/native-siv.js";
import { TcpListener } from "../transport/tcp-listener.js";
import { TlsContext } from "../transport/tls-context.js";
import { UdpListener } from "../transport/udp-listener.js";
import { kernelServedClock } from "./kernel-served-clock.js";
import { randomNtsSecret, readNtsSecret } from "./nts-secret.js";
import { type ServiceName, type ServiceRow, servedRows } from "./service-table.js";
import { UdpThread } from "./udp-thread.js";

export interface Listener {
  readonly name?: string;
  listen(): Promise<AddressInfo>;
  close(): Promise<void>;
  address(): AddressInfo | null;
}

export interface RuntimeOptions {
  clock?: Clock;
  /** Sockets systemd handed over: each replaces the listener of its name and transport. */
  inherited?: readonly InheritedSocket[];
  /** Where to count; default a registry of the runtime's own. */
  counters?: CounterRegistry;
  /** The policy to ask; default one made from the config's access and limit options. */
  admission?: AdmissionPolicy;
  /** Shared by every listener of a process, so their turns are bounded together. */
  budget?: TurnBudget;
  /** Milliseconds a closing connection may linger, and shutdown may wait; default DEFAULTS.closeGrace. */
  closeGraceMs?: number;
  /**
   * Which listeners this runtime builds: all (the default), or only the UDP
   * ones (the UDP thread's runtime, udp-thread.ts). With `--udp-thread` a
   * runtime that builds all hands the UDP ones to a thread instead.
   */
  only?: "all" | "udp";
}

const POLICY_SWEEP_MS = 1000;
/** An NTS-KE connection must finish its handshake and request within this (chrony allows 2 s). */
export const NTS_KE_TIMEOUT_MS = 5000;
/** NTS-KE connections at once: each handshake costs a signature, so a flood must not take the loop. */
export const NTS_KE_MAX_CONNECTIONS = 64;

export class ServerRuntime {
  readonly counters: CounterRegistry;
  readonly listeners: Listener[] = [];
  readonly clock: Clock;
  readonly admission: AdmissionPolicy;
  /** The line protocol's plain TCP listener, unless it is off (inherited TLS only). */
  readonly line: TcpListener | undefined;
  private readonly budget: TurnBudget;
  /** Every client connection of the process, whichever listener (the metrics endpoint's too). */
  readonly descriptors = new DescriptorBudget();
  private readonly closeGraceMs: number;
  private readonly tls: TlsContext | undefined;
  private readonly ntsTls: TlsContext | undefined;
  /** The NTS cookie jar, replaced when SIGHUP re-reads the secret file. */
  private ntsJar: CookieJar | undefined;
  private ntpListener: UdpListener | undefined;
  private lineService: LineService | undefined;
  private readonly greetings = new Map<ServiceName, GreetingService>();
  private sweepTimer: Timer | undefined;
  private state: "new" | "starting" | "serving" | "draining" | "stopped" = "new";

  constructor(
    readonly config: ServerConfig,
    readonly logger: Logger,
    options: RuntimeOptions = {},
  ) {
    this.clock = options.clock ?? SYSTEM_CLOCK;
    this.counters = options.counters ?? new CounterRegistry();
    this.budget = options.budget ?? new TurnBudget(this.clock);
    this.closeGraceMs = options.closeGraceMs ?? DEFAULTS.closeGrace;
    this.admission =
      options.admission ??
      new AdmissionPolicy({
        access: new AccessList(config.allow.map(Cidr.parse), config.deny.map(Cidr.parse)),
        maxConnectionsPerIp:
          config.maxConnectionsPerIp > 0 ? config.maxConnectionsPerIp : undefined,
        rateLimit: config.rateLimit > 0 ? config.rateLimit : undefined,
        rateBurst: config.rateBurst > 0 ? config.rateBurst : undefined,
        greetingRate: config.udpGreetingRate > 0 ? config.udpGreetingRate : undefined,
        clock: this.clock,
        counters: this.counters,
      });
    const inherited = options.inherited ?? [];
    const only = options.only ?? "all";
    const tlsWanted =
      only === "all" &&
      (config.tlsPort !== undefined || inherited.some((socket) => socket.name === "tls"));
    if (tlsWanted) {
      if (config.tlsCert === undefined || config.tlsKey === undefined) {
        throw new TimeServerError(
          "TS_ERR_CONFIG",
          "--tls-cert and --tls-key are needed for the TLS listener",
        );
      }
      this.tls = new TlsContext(config.tlsCert, config.tlsKey);
    }
    const ntsKeWanted =
      config.ntsKePort !== undefined || inherited.some((socket) => socket.name === "nts-ke");
    if (ntsKeWanted) {
      if (config.tlsCert === undefined || config.tlsKey === undefined) {
        throw new TimeServerError(
          "TS_ERR_CONFIG",
          "--tls-cert and --tls-key are needed for the NTS-KE listener",
        );
      }
      this.ntsTls = new TlsContext(config.tlsCert, config.tlsKey, {
        minVersion: "TLSv1.3",
        alpn: NTS_KE_ALPN,
      });
    }
    if (ntsKeWanted || config.ntsSecretFile !== undefined) {
      const secret =
        config.ntsSecretFile !== undefined
          ? readNtsSecret(config.ntsSecretFile)
          : Buffer.from(config.ntsSecret ?? randomNtsSecret(), "hex");
      this.ntsJar = new CookieJar({ secret, random: randomFillSync, siv: sivFactory() });
    }
    let line: TcpListener | undefined;
    // auto is the CLI's to decide (udp-thread-choice.ts); a runtime given auto keeps UDP here.
    const threadUdp = only === "all" && config.udpThread === "on";
    let udpInThread = false;
    for (const { row, port, socket } of servedRows(config, inherited)) {
      if (only === "udp" && row.transport !== "udp") continue;
      if (threadUdp && row.transport === "udp") {
        udpInThread = true;
        continue;
      }
      const listener = this.build(row, port ?? 0, socket);
      if (row.service === "line") line = listener as TcpListener;
      this.listeners.push(listener);
    }
    this.line = line;
    if (udpInThread) this.listeners.push(new UdpThread(config, inherited));
  }

  /** Every counter of this runtime, the UDP thread's (as of its latest report) included. */
  snapshot(): MetricsSnapshot {
    const own = this.counters.snapshot();
    const thread = this.listeners.find((listener) => listener instanceof UdpThread);
    return thread === undefined ? own : sumSnapshots([own, thread.snapshot()]);
  }

  /** Every counter as of now: the UDP thread is asked for its own first (a scrape). */
  async freshSnapshot(): Promise<MetricsSnapshot> {
    const thread = this.listeners.find((listener) => listener instanceof UdpThread);
    if (thread === undefined) return this.counters.snapshot();
    const threads = await thread.fresh();
    return sumSnapshots([this.counters.snapshot(), threads]);
  }

  /** True while new work is accepted: what /readyz reports. */
  get ready(): boolean {
    return this.state === "serving";
  }

  /** Bind every listener; if one fails, close the others and throw its error. */
  async listen(): Promise<void> {
    if (this.state !== "new") {
      throw new TimeServerError("TS_ERR_STATE", "the server was already started");
    }
    this.state = "starting";
    const results = await Promise.allSettled(this.listeners.map((listener) => listener.listen()));
    const failed = results.find((result) => result.status === "rejected");
    if (failed !== undefined) {
      await Promise.all(this.listeners.map((listener) => listener.close()));
      this.state = "stopped";
      throw (failed as PromiseRejectedResult).reason;
    }
    // Closed while it started: nothing left to sweep.
    if (this.state !== "starting") return;
    // The thread's own "Listening on … (ntp, UDP, native)" lines cannot say where they run.
    if (this.listeners.some((listener) => listener instanceof UdpThread))
      log.udpOnThread(this.logger);
    let wanted = 0;
    for (const listener of this.listeners) {
      if (listener instanceof TcpListener) wanted += listener.maxConnections;
    }
    this.descriptors.fit(wanted, this.logger);
    this.sweepTimer = this.clock.every(POLICY_SWEEP_MS, () => this.admission.sweep());
    this.state = "serving";
  }

  /** Stop accepting everywhere, let connections finish, close. */
  async close(): Promise<void> {
    this.state = "draining";
    this.sweepTimer?.cancel();
    await Promise.all(this.listeners.map((listener) => listener.close()));
    this.state = "stopped";
  }

  /**
   * SIGHUP: re-read what can change without a restart (the TLS certificate
   * and key). A bad file is a warning, and the old certificate stays in use.
   * Done when this returns, unless a UDP thread must take a new NTS secret:
   * then when the promise resolves.
   */
  reload(): Promise<void> {
    const secret = this.reloadNtsSecret();
    // The UDP thread opens NTS requests' cookies with a jar of its own: it
    // has the new secret before the reload is said to be done.
    const thread = this.listeners.find((listener) => listener instanceof UdpThread);
    if (secret !== undefined && thread !== undefined)
      return thread.useNtsSecret(secret).then(() => this.reloadRest(secret !== undefined));
    this.reloadRest(secret !== undefined);
    return Promise.resolve();
  }

  private reloadRest(newSecret: boolean): void {
    if (newSecret) log.ntsSecretReloaded(this.logger, this.config.ntsSecretFile as string);
    this.reloadNtsCertificate();
    if (this.tls === undefined) {
      if (this.ntsJar !== undefined) return;
      log.nothingToReload(this.logger);
      return;
    }
    try {
      this.tls.reload();
      log.tlsCertificateReloaded(this.logger, this.tls.certFile, this.tls.keyFile);
    } catch (error) {
      log.reloadFailed(this.logger, "TLS certificate", error);
    }
  }

  /** SIGHUP for NTS: the secret file, kept as it was if bad; the new secret, if any. */
  private reloadNtsSecret(): Buffer | undefined {
    const file = this.config.ntsSecretFile;
    if (file === undefined) return undefined;
    try {
      const secret = readNtsSecret(file);
      this.useNtsSecret(secret);
      return secret;
    } catch (error) {
      log.reloadFailed(this.logger, "NTS secret", error);
      return undefined;
    }
  }

  /** SIGHUP for NTS-KE: its certificate, kept as it was if bad. */
  private reloadNtsCertificate(): void {
    if (this.ntsTls === undefined) return;
    try {
      this.ntsTls.reload();
      log.ntsKeCertificateReloaded(this.logger, this.ntsTls.certFile);
    } catch (error) {
      log.reloadFailed(this.logger, "NTS-KE certificate", error);
    }
  }

  /** A new NTS secret for the cookie jar (SIGHUP; in the UDP thread, the main thread's). */
  useNtsSecret(secret: Buffer): void {
    this.ntsJar = new CookieJar({ secret, random: randomFillSync, siv: sivFactory() });
  }

  private readonly jar = (): CookieJar => this.ntsJar as CookieJar;

  /** Server and Port Negotiation (RFC 8915 §4.1.7–8): sent only when not what a client assumes. */
  private readonly ntpNegotiation = (): { server?: string; port?: number } => {
    const elsewhere = this.config.ntsNtpServer;
    if (elsewhere !== undefined)
      return {
        server: elsewhere.host,
        ...(elsewhere.port === undefined || elsewhere.port === 123 ? {} : { port: elsewhere.port }),
      };
    // The bound port: --ntp-port 0 or an inherited socket are known only now.
    const port = this.ntpListener?.address()?.port ?? this.config.ntpPort;
    return port === undefined || port === 123 ? {} : { port };
  };

  private line$(): LineService {
    if (this.lineService === undefined) {
      this.lineService = new LineService({
        maxLine: this.config.maxLine,
        timeZone: this.config.timeZone,
        logger: this.logger,
        clock: this.clock,
        counters: this.counters,
        budget: this.budget,
        admission: this.admission,
      });
    }
    return this.lineService;
  }

  /** Daytime and RFC 868 serve TCP and UDP from one service (one reply cache, one set of counters). */
  private greeting(name: "daytime" | "rfc868"): GreetingService {
    let service = this.greetings.get(name);
    if (service === undefined) {
      const options = {
        logger: this.logger,
        clock: this.clock,
        counters: this.counters,
        admission: this.admission,
      };
      service =
        name === "daytime"
          ? createDaytimeService(this.config.timeZone, options)
          : createRfc868Service(options);
      this.greetings.set(name, service);
    }
    return service;
  }

  /** --tls-max-connections, or what fits the memory; said at start when it is below --max-connections. */
  private tlsMaxConnections(): number {
    const config = this.config;
    if (config.tlsMaxConnections !== undefined) return config.tlsMaxConnections;
    const memory = memoryAvailable();
    const fit = tlsConnectionsThatFit(
      memory,
      config.workers,
      config.tlsMaxHandshakes,
      config.maxConnections,
    );
    if (fit < config.maxConnections)
      log.tlsConnectionLimit(this.logger, fit, memory, config.workers);
    return fit;
  }

  private build(row: ServiceRow, port: number, inherited: InheritedSocket | undefined): Listener {
    const config = this.config;
    const common = {
      host: config.host,
      port,
      fd: inherited?.fd,
      family: inherited?.family,
      logger: this.logger,
      clock: this.clock,
      counters: this.counters,
    };
    const udp = {
      ...common,
      backend: config.udpBackend === "auto" ? undefined : config.udpBackend,
    };
    const tcp = {
      ...common,
      admission: this.admission,
      maxConnections: config.maxConnections,
      idleTimeoutMs: config.idleTimeout * 1000,
      closeGraceMs: this.closeGraceMs,
      descriptors: this.descriptors,
    };
    switch (row.service) {
      case "line": {
        const trusted = new AccessList(config.trustedProxies.map(Cidr.parse));
        return new TcpListener({
          ...tcp,
          service: this.line$(),
          proxyProtocol: config.proxyProtocol
            ? { trusted: (address) => !trusted.isEmpty && trusted.check(address) === "allow" }
            : undefined,
        });
      }
      case "tls":
        return new TcpListener({
          ...tcp,
          maxConnections: this.tlsMaxConnections(),
          name: "tls",
          service: this.line$(),
          tls: {
            wrap: (this.tls as TlsContext).wrap,
            handshakeTimeoutMs: config.tlsHandshakeTimeout * 1000,
            maxHandshakes: config.tlsMaxHandshakes,
          },
        });
      case "daytime":
      case "rfc868": {
        const service = this.greeting(row.service);
        if (row.transport === "udp") return new UdpListener({ ...udp, service });
        return new TcpListener({ ...tcp, service });
      }
      case "ntp":
        this.ntpListener = new UdpListener({
          ...udp,
          service: new SntpService({
            stratum: config.ntpStratum,
            logger: this.logger,
            clock: this.clock,
            counters: this.counters,
            admission: this.admission,
            ...(this.ntsJar === undefined
              ? {}
              : {
                  nts: new NtsNtpService({
                    cookies: this.jar,
                    logger: this.logger,
                    counters: this.counters,
                  }),
                }),
            served: kernelServedClock({
              stratum: config.ntpStratum,
              local: config.local,
              clock: this.clock,
              logger: this.logger,
            }),
          }),
        });
        return this.ntpListener;
      case "nts-ke": {
        const service = new NtsKeService({
          cookies: this.jar,
          clock: this.clock,
          logger: this.logger,
          counters: this.counters,
          ntp: this.ntpNegotiation,
        });
        const tls = this.ntsTls as TlsContext;
        return new TcpListener({
          ...tcp,
          name: "nts-ke",
          service,
          maxConnections: Math.min(config.maxConnections, NTS_KE_MAX_CONNECTIONS),
          idleTimeoutMs: NTS_KE_TIMEOUT_MS,
          tls: {
            wrap: (socket) => service.watch(tls.wrap(socket) as TLSSocket),
            handshakeTimeoutMs: NTS_KE_TIMEOUT_MS,
            maxHandshakes: Math.min(config.tlsMaxHandshakes, NTS_KE_MAX_CONNECTIONS),
          },
        });
      }
    }
  }
}
