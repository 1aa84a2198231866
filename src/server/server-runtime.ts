/**
 * Everything one server process serves, built from its config by the service
 * table: the listeners, the services behind them, and what they share (one
 * clock, one counters registry, one turn budget, one admission policy).
 * Used alike by a single-process server and by each --workers worker.
 */

import type { AddressInfo } from "node:net";
import { type Clock, SYSTEM_CLOCK } from "../clock/clock.js";
import type { ServerConfig } from "../config/server-config.js";
import type { Logger } from "../logging/logger.js";
import { CounterRegistry } from "../metrics/counters.js";
import { createDaytimeService } from "../services/daytime-service.js";
import type { GreetingService } from "../services/greeting-service.js";
import { createRfc868Service } from "../services/rfc868-service.js";
import { SntpService } from "../services/sntp-service.js";
import { type Admission, LIMIT_ONLY } from "../transport/admission.js";
import { TcpListener } from "../transport/tcp-listener.js";
import { TurnBudget } from "../transport/turn-budget.js";
import { UdpListener } from "../transport/udp-listener.js";
import { SERVICE_TABLE, type ServiceName, type ServiceRow } from "./service-table.js";
import { createTimeServer, DEFAULTS } from "./time-server.js";

export interface Listener {
  listen(): Promise<AddressInfo>;
  close(): Promise<void>;
}

export class ServerRuntime {
  readonly counters = new CounterRegistry();
  readonly listeners: Listener[] = [];
  /** The line protocol's listener (the one the seed had). */
  readonly line: TcpListener;
  private state: "new" | "serving" | "draining" | "stopped" = "new";

  constructor(
    readonly config: ServerConfig,
    readonly logger: Logger,
    readonly clock: Clock = SYSTEM_CLOCK,
  ) {
    const budget = new TurnBudget(clock);
    let line: TcpListener | undefined;
    for (const row of SERVICE_TABLE) {
      const port = row.port(config);
      if (port === undefined) continue;
      const listener = this.build(row, port, budget);
      if (row.service === "line") line = listener as TcpListener;
      this.listeners.push(listener);
    }
    this.line = line as TcpListener;
  }

  /** Daytime and RFC 868 serve TCP and UDP from one service (one reply cache, one set of counters). */
  private readonly greetings = new Map<ServiceName, GreetingService>();

  private greeting(name: "daytime" | "rfc868"): GreetingService {
    let service = this.greetings.get(name);
    if (service === undefined) {
      const options = { logger: this.logger, clock: this.clock, counters: this.counters };
      service =
        name === "daytime"
          ? createDaytimeService(this.config.timeZone, options)
          : createRfc868Service(options);
      this.greetings.set(name, service);
    }
    return service;
  }

  /** True while new work is accepted: what /readyz reports. */
  get ready(): boolean {
    return this.state === "serving";
  }

  /** Bind every listener; if one fails, close the others and throw its error. */
  async listen(): Promise<void> {
    const results = await Promise.allSettled(this.listeners.map((listener) => listener.listen()));
    const failed = results.find((result) => result.status === "rejected");
    if (failed !== undefined) {
      await Promise.all(this.listeners.map((listener) => listener.close()));
      this.state = "stopped";
      throw (failed as PromiseRejectedResult).reason;
    }
    this.state = "serving";
  }

  /** Stop accepting everywhere, let connections finish, close. */
  async close(): Promise<void> {
    this.state = "draining";
    await Promise.all(this.listeners.map((listener) => listener.close()));
    this.state = "stopped";
  }

  private build(row: ServiceRow, port: number, budget: TurnBudget): Listener {
    const config = this.config;
    const admission: Admission = LIMIT_ONLY;
    const common = {
      host: config.host,
      port,
      logger: this.logger,
      clock: this.clock,
      counters: this.counters,
      admission,
    };
    switch (row.service) {
      case "daytime":
      case "rfc868": {
        const service = this.greeting(row.service);
        if (row.transport === "udp") return new UdpListener({ ...common, service });
        return new TcpListener({
          ...common,
          service,
          maxConnections: config.maxConnections,
          idleTimeoutMs: config.idleTimeout * 1000,
          closeGraceMs: DEFAULTS.closeGrace,
        });
      }
      case "ntp":
        return new UdpListener({
          ...common,
          service: new SntpService({
            stratum: config.ntpStratum,
            logger: this.logger,
            clock: this.clock,
            counters: this.counters,
          }),
        });
      case "line":
        return createTimeServer({
          host: config.host,
          port,
          timeZone: config.timeZone,
          maxConnections: config.maxConnections,
          idleTimeout: config.idleTimeout,
          maxLine: config.maxLine,
          closeGrace: DEFAULTS.closeGrace,
          logger: this.logger,
          clock: this.clock,
          counters: this.counters,
          admission,
          budget,
        });
    }
  }
}
