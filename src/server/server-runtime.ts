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
import { LIMIT_ONLY } from "../transport/admission.js";
import type { TcpListener } from "../transport/tcp-listener.js";
import { TurnBudget } from "../transport/turn-budget.js";
import { SERVICE_TABLE, type ServiceRow } from "./service-table.js";
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
      if (row.service === "line") line = listener;
      this.listeners.push(listener);
    }
    this.line = line as TcpListener;
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

  private build(row: ServiceRow, port: number, budget: TurnBudget): TcpListener {
    const config = this.config;
    switch (row.service) {
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
          admission: LIMIT_ONLY,
          budget,
        });
    }
  }
}
