/**
 * The metrics endpoint's bounds: at most METRICS_MAX_CONNECTIONS open at
 * once, and none past the process's descriptor budget; one more is closed at
 * once with no byte, counted by reason and logged, and a freed slot serves
 * the next scrape.
 */

import assert from "node:assert/strict";
import { once } from "node:events";
import net from "node:net";
import { describe, it } from "node:test";
import { CounterRegistry } from "../../src/metrics/counters.js";
import { METRICS_MAX_CONNECTIONS, MetricsEndpoint } from "../../src/metrics/http-endpoint.js";
import { DescriptorBudget } from "../../src/transport/descriptor-budget.js";
import { httpRequest } from "../helpers/metrics-scrape.js";
import { recordingLogger } from "../helpers/recording-logger.js";

async function endpointFor(t: { after(fn: () => unknown): void }, descriptors?: DescriptorBudget) {
  const counters = new CounterRegistry();
  const { logger, sink } = recordingLogger("info");
  const endpoint = new MetricsEndpoint({
    host: "127.0.0.1",
    port: 0,
    logger,
    snapshot: () => counters.snapshot(),
    ready: () => true,
    counters,
    descriptors,
  });
  const { port } = await endpoint.listen();
  t.after(() => endpoint.close());
  return { port, counters, sink };
}

/** A connection the endpoint closed: resolves with what it sent (nothing, for a refusal). */
function closedWith(socket: net.Socket): Promise<number> {
  let bytes = 0;
  socket.on("data", (chunk: Buffer) => {
    bytes += chunk.length;
  });
  return once(socket, "close").then(() => bytes);
}

async function openIdle(
  t: { after(fn: () => unknown): void },
  port: number,
  count: number,
): Promise<net.Socket[]> {
  const sockets = Array.from({ length: count }, () => net.connect(port, "127.0.0.1"));
  for (const socket of sockets) socket.on("error", () => {});
  t.after(() => {
    for (const socket of sockets) socket.destroy();
  });
  await Promise.all(sockets.map((socket) => once(socket, "connect")));
  return sockets;
}

describe("MetricsEndpoint limits", () => {
  it(`refuses connection ${METRICS_MAX_CONNECTIONS + 1}, counted and logged; a freed slot serves the next scrape`, async (t) => {
    const { port, counters, sink } = await endpointFor(t);
    const idle = await openIdle(t, port, METRICS_MAX_CONNECTIONS);
    const [extra] = await openIdle(t, port, 1);
    assert.equal(await closedWith(extra as net.Socket), 0);
    assert.equal(
      counters.total("timeserver_connections_refused_total", {
        protocol: "metrics",
        reason: "limit",
      }),
      1,
    );
    assert.equal(
      sink.find("warn", /^Connection limit of 64 reached: refused 127\.0\.0\.1:\d+ \(metrics\)$/)
        .length,
      1,
    );
    const first = idle[0] as net.Socket;
    const freed = once(first, "close");
    first.destroy();
    await freed;
    // The server may see that close after our next connect: ask until served.
    for (;;) {
      const reply = await httpRequest(port, "/healthz").catch(() => undefined);
      if (reply !== undefined) {
        assert.equal(reply.status, 200);
        break;
      }
    }
  });

  it("takes its connections from the process's descriptor budget, and gives them back", async (t) => {
    const budget = new DescriptorBudget({ limit: () => 100, open: () => 100 - 2 - 32 });
    budget.fit(2, recordingLogger().logger);
    assert.equal(budget.room, 2);
    const { port, counters } = await endpointFor(t, budget);
    await openIdle(t, port, 2);
    const [extra] = await openIdle(t, port, 1);
    assert.equal(await closedWith(extra as net.Socket), 0);
    assert.equal(
      counters.total("timeserver_connections_refused_total", {
        protocol: "metrics",
        reason: "descriptor-limit",
      }),
      1,
    );
    assert.equal(budget.inUse, 2);
  });
});
