/**
 * The operator's HTTP endpoint: GET /metrics (Prometheus text), /healthz (200
 * while the process serves) and /readyz (200 while it accepts new work, 503
 * from the moment it starts draining, so a load balancer stops sending new
 * clients before connections close). Bound to 127.0.0.1 unless told
 * otherwise: metrics are not public unless asked.
 */

import http from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { SYSTEM_CLOCK } from "../clock/clock.js";
import { describeSystemError, formatHostPort, TimeServerError } from "../errors.js";
import { metricsListening, metricsRefused } from "../logging/log-events.js";
import type { Logger } from "../logging/logger.js";
import { ThrottledLog } from "../logging/throttled-log.js";
import { CounterRegistry, type MetricsSnapshot } from "./counters.js";
import { PrometheusExposition } from "./prometheus.js";
import { refusedCounter } from "./server-metrics.js";

export interface MetricsEndpointOptions {
  host: string;
  port: number;
  /** An inherited listening socket (systemd, name `metrics`) instead of host and port. */
  fd?: number;
  logger: Logger;
  /** The counters to show, taken at scrape time (summed across workers under --workers). */
  snapshot: () => MetricsSnapshot | Promise<MetricsSnapshot>;
  /** Whether new work is accepted now. */
  ready: () => boolean;
  /** The process's descriptor budget (transport's DescriptorBudget), shared with the other listeners. */
  descriptors?: DescriptorShare;
  /** Where refused connections are counted; default a registry of its own. */
  counters?: CounterRegistry;
}

/** What the endpoint needs of a descriptor budget (metrics sits below transport, which has it). */
export interface DescriptorShare {
  readonly room: number;
  take(): boolean;
  give(): void;
}

/** Connections open at once: scrapers and probes are few; more are refused, counted, logged. */
export const METRICS_MAX_CONNECTIONS = 64;
/**
 * How often Node checks the headers and request deadlines. Its default is
 * 30 s, so a 5 s headers timeout held a slowloris client for up to 35 s.
 */
const DEADLINE_CHECK_MS = 1000;

export class MetricsEndpoint {
  private readonly server: http.Server;
  private readonly exposition = new PrometheusExposition();
  private readonly counters: CounterRegistry;
  private readonly throttle = new ThrottledLog(SYSTEM_CLOCK);
  private open = 0;

  constructor(private readonly options: MetricsEndpointOptions) {
    // Scrapes are short; a stuck scraper must not hold a socket for long.
    this.server = http.createServer(
      {
        headersTimeout: 5_000,
        requestTimeout: 10_000,
        connectionsCheckingInterval: DEADLINE_CHECK_MS,
      },
      (request, response) => {
        // A scrape that fails in an unforeseen way closes its own connection, nothing more.
        this.answer(request, response).catch(() => response.destroy());
      },
    );
    this.counters = options.counters ?? new CounterRegistry();
    this.server.on("connection", (socket: Socket) => this.admit(socket));
  }

  /** Over its own limit or the process's descriptor budget, a connection is closed at once, counted and logged. */
  private admit(socket: Socket): void {
    const reason: "limit" | "descriptor-limit" | undefined =
      this.open >= METRICS_MAX_CONNECTIONS
        ? "limit"
        : this.options.descriptors?.take() === false
          ? "descriptor-limit"
          : undefined;
    if (reason !== undefined) {
      const who = formatHostPort(socket.remoteAddress ?? "unknown", socket.remotePort ?? 0);
      socket.destroy();
      // Made at the first refusal, so a scrape shows no series of its own endpoint until then.
      refusedCounter(this.counters, "metrics", reason).value++;
      const logger = this.options.logger;
      const suppressed = logger.warnOn ? this.throttle.take(reason) : undefined;
      if (suppressed !== undefined) {
        const max =
          reason === "limit" ? METRICS_MAX_CONNECTIONS : (this.options.descriptors?.room ?? 0);
        metricsRefused(logger, reason, max, who, suppressed);
      }
      return;
    }
    this.open++;
    socket.once("close", () => {
      this.open--;
      this.options.descriptors?.give();
    });
  }

  listen(): Promise<AddressInfo> {
    const { host, port, fd } = this.options;
    const where = fd === undefined ? formatHostPort(host, port) : `inherited socket (fd ${fd})`;
    return new Promise((resolve, reject) => {
      const onError = (error: Error) =>
        reject(
          new TimeServerError(
            "TS_ERR_LISTEN",
            `cannot listen on ${where} (metrics): ${describeSystemError(error)}`,
            { cause: error },
          ),
        );
      this.server.once("error", onError);
      this.server.listen(fd === undefined ? { host, port } : { fd }, () => {
        this.server.off("error", onError);
        const address = this.server.address() as AddressInfo;
        metricsListening(this.options.logger, address.address, address.port);
        resolve(address);
      });
    });
  }

  address(): AddressInfo | null {
    const address = this.server.address();
    return address !== null && typeof address === "object" ? address : null;
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private async answer(
    request: http.IncomingMessage,
    response: http.ServerResponse,
  ): Promise<void> {
    const path = (request.url ?? "/").split("?")[0];
    if (request.method !== "GET" && request.method !== "HEAD") {
      send(response, 405, "method not allowed\n", { Allow: "GET, HEAD" });
      return;
    }
    switch (path) {
      case "/metrics": {
        try {
          const snapshot = await this.options.snapshot();
          // What /readyz says, for alerting on a server that stays not ready.
          const ready: MetricsSnapshot[number] = {
            name: "timeserver_ready",
            help: "1 while new work is accepted (what /readyz says with 200), 0 while starting or draining.",
            type: "gauge",
            samples: [{ labels: {}, value: this.options.ready() ? 1 : 0 }],
          };
          const text = await this.exposition.render([...snapshot, ready]);
          send(response, 200, text, { "Content-Type": this.exposition.contentType });
        } catch (error) {
          send(response, 500, `cannot collect metrics: ${describeSystemError(error)}\n`);
        }
        return;
      }
      case "/healthz":
        send(response, 200, "ok\n");
        return;
      case "/readyz":
        if (this.options.ready()) send(response, 200, "ready\n");
        else send(response, 503, "draining\n");
        return;
      default:
        send(response, 404, "not found: try /metrics, /healthz or /readyz\n");
    }
  }
}

function send(
  response: http.ServerResponse,
  status: number,
  body: string,
  headers: Record<string, string> = {},
): void {
  response.writeHead(status, {
    "Content-Type": "text/plain; charset=utf-8",
    "Content-Length": Buffer.byteLength(body),
    "Cache-Control": "no-store",
    ...headers,
  });
  response.end(body);
}
