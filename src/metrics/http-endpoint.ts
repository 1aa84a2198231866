/**
 * The operator's HTTP endpoint: GET /metrics (Prometheus text), /healthz (200
 * while the process serves) and /readyz (200 while it accepts new work, 503
 * from the moment it starts draining, so a load balancer stops sending new
 * clients before connections close). Bound to 127.0.0.1 unless told
 * otherwise: metrics are not public unless asked.
 */

import http from "node:http";
import type { AddressInfo } from "node:net";
import { describeSystemError, formatHostPort, TimeServerError } from "../errors.js";
import type { Logger } from "../logging/logger.js";
import type { MetricsSnapshot } from "./counters.js";
import { PrometheusExposition } from "./prometheus.js";

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
}

export class MetricsEndpoint {
  private readonly server: http.Server;
  private readonly exposition = new PrometheusExposition();

  constructor(private readonly options: MetricsEndpointOptions) {
    this.server = http.createServer((request, response) => {
      // A scrape that fails in an unforeseen way closes its own connection, nothing more.
      this.answer(request, response).catch(() => response.destroy());
    });
    // Scrapes are short; a stuck scraper must not hold a socket for long.
    this.server.requestTimeout = 10_000;
    this.server.headersTimeout = 5_000;
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
        this.options.logger.lifecycle(
          "info",
          `Metrics on http://${formatHostPort(address.address, address.port)}/metrics (also /healthz, /readyz)`,
          { event: "listening", protocol: "metrics", address: address.address, port: address.port },
        );
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
          const text = await this.exposition.render(await this.options.snapshot());
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
