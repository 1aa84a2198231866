/**
 * MetricsEndpoint over a real loopback socket: /metrics shows the snapshot
 * taken at the moment of the request (sync or async, and a failing one is a
 * 500, not a crash), /healthz is 200, /readyz follows `ready()`, anything else
 * is 404 or 405; a taken port is a TS_ERR_LISTEN naming it; close() does not
 * wait for a keep-alive scraper. (Serving an inherited fd is proved through
 * systemd-socket-activate in test/integration/operate-socket-activation.)
 */

import assert from "node:assert/strict";
import http from "node:http";
import net from "node:net";
import { describe, it } from "node:test";
import { TimeServerError } from "../../src/errors.js";
import { SILENT_LOGGER } from "../../src/logging/logger.js";
import { CounterRegistry, type MetricsSnapshot } from "../../src/metrics/counters.js";
import { MetricsEndpoint, type MetricsEndpointOptions } from "../../src/metrics/http-endpoint.js";
import { httpRequest, sampleValue } from "../helpers/metrics-scrape.js";

async function endpointFor(
  t: { after(fn: () => unknown): void },
  options: Partial<MetricsEndpointOptions> = {},
): Promise<{ endpoint: MetricsEndpoint; port: number }> {
  const endpoint = new MetricsEndpoint({
    host: "127.0.0.1",
    port: 0,
    logger: SILENT_LOGGER,
    snapshot: () => [],
    ready: () => true,
    ...options,
  });
  const { port } = await endpoint.listen();
  t.after(() => endpoint.close());
  return { endpoint, port };
}

describe("MetricsEndpoint", () => {
  it("/metrics shows the counters as they are at each request", async (t) => {
    const registry = new CounterRegistry();
    const time = registry.counter("timeserver_requests_total", "Requests.", { result: "time" });
    let snapshots = 0;
    const { port } = await endpointFor(t, {
      snapshot: () => {
        snapshots++;
        return registry.snapshot();
      },
    });
    time.inc(3);
    const first = await httpRequest(port, "/metrics");
    assert.equal(first.status, 200);
    assert.match(String(first.headers["content-type"]), /^text\/plain; version=0\.0\.4/);
    assert.equal(first.headers["cache-control"], "no-store");
    assert.equal(sampleValue(first.body, "timeserver_requests_total", { result: "time" }), 3);
    assert.match(first.body, /^process_cpu_user_seconds_total /m);
    time.inc(2);
    const second = await httpRequest(port, "/metrics");
    assert.equal(sampleValue(second.body, "timeserver_requests_total", { result: "time" }), 5);
    assert.equal(snapshots, 2, "one snapshot per scrape, none in between");
  });

  it("waits for an asynchronous snapshot (the cluster's fresh worker reports)", async (t) => {
    const snapshot: MetricsSnapshot = [
      { name: "x_total", help: "x", type: "counter", samples: [{ labels: {}, value: 42 }] },
    ];
    const { port } = await endpointFor(t, {
      snapshot: () => new Promise((resolve) => setImmediate(() => resolve(snapshot))),
    });
    assert.equal(sampleValue((await httpRequest(port, "/metrics")).body, "x_total"), 42);
  });

  it("answers 500 with the reason when the snapshot fails, and keeps serving", async (t) => {
    let fail = true;
    const { port } = await endpointFor(t, {
      snapshot: () => {
        if (fail) throw new Error("workers unreachable");
        return [];
      },
    });
    const failed = await httpRequest(port, "/metrics");
    assert.equal(failed.status, 500);
    assert.match(failed.body, /^cannot collect metrics: .*workers unreachable/);
    fail = false;
    assert.equal((await httpRequest(port, "/metrics")).status, 200);
    assert.equal((await httpRequest(port, "/healthz")).status, 200);
  });

  it("/readyz follows ready(): 200 ready, 503 draining; /healthz stays 200", async (t) => {
    let ready = true;
    const { port } = await endpointFor(t, { ready: () => ready });
    assert.deepEqual(await statusAndBody(port, "/readyz"), [200, "ready\n"]);
    ready = false;
    assert.deepEqual(await statusAndBody(port, "/readyz"), [503, "draining\n"]);
    assert.deepEqual(await statusAndBody(port, "/healthz"), [200, "ok\n"]);
    ready = true;
    assert.deepEqual(await statusAndBody(port, "/readyz"), [200, "ready\n"]);
  });

  it("404 for other paths, 405 with Allow for other methods, HEAD without a body", async (t) => {
    const { port } = await endpointFor(t);
    for (const path of ["/", "/metrics/", "/Metrics", "/healthz/x", "/favicon.ico"]) {
      const reply = await httpRequest(port, path);
      assert.equal(reply.status, 404, path);
      assert.match(reply.body, /try \/metrics, \/healthz or \/readyz/);
    }
    for (const method of ["POST", "PUT", "DELETE", "OPTIONS"]) {
      const reply = await httpRequest(port, "/metrics", { method });
      assert.equal(reply.status, 405, method);
      assert.equal(reply.headers.allow, "GET, HEAD");
    }
    const head = await httpRequest(port, "/metrics", { method: "HEAD" });
    assert.equal(head.status, 200);
    assert.equal(head.body, "");
    assert.equal((await httpRequest(port, "/readyz?probe=1")).status, 200);
  });

  it("a taken port is a TS_ERR_LISTEN naming the address and saying metrics", async (t) => {
    const taken = net.createServer();
    await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", resolve));
    t.after(() => taken.close());
    const port = (taken.address() as net.AddressInfo).port;
    const endpoint = new MetricsEndpoint({
      host: "127.0.0.1",
      port,
      logger: SILENT_LOGGER,
      snapshot: () => [],
      ready: () => true,
    });
    await assert.rejects(endpoint.listen(), (error: unknown) => {
      assert.ok(error instanceof TimeServerError);
      assert.equal(error.code, "TS_ERR_LISTEN");
      assert.equal(
        error.message,
        `cannot listen on 127.0.0.1:${port} (metrics): address already in use`,
      );
      return true;
    });
  });

  it("close() resolves while a scraper still holds a keep-alive connection", async (t) => {
    const { endpoint, port } = await endpointFor(t);
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    t.after(() => agent.destroy());
    const reply = await new Promise<number>((resolve, reject) => {
      http
        .get({ host: "127.0.0.1", port, path: "/healthz", agent }, (response) => {
          response.resume();
          response.on("end", () => resolve(response.statusCode ?? 0));
        })
        .on("error", reject);
    });
    assert.equal(reply, 200);
    assert.equal(Object.values(agent.freeSockets).flat().length, 1, "the connection stays open");
    await endpoint.close();
    assert.equal(endpoint.address(), null);
  });
});

async function statusAndBody(port: number, path: string): Promise<[number, string]> {
  const reply = await httpRequest(port, path);
  return [reply.status, reply.body];
}
