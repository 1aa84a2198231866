/**
 * TLS connections inside a real 256 MiB memory cgroup, the limit of the
 * Kubernetes deployment: thousands of silent TLS connections reset at once
 * (a NAT or load balancer dropping them), and thousands of clients each
 * holding half a ClientHello, must leave the server alive (no OOM kill) and
 * serving a fresh TLS client. Counts are read from the metrics endpoint,
 * asked again until they match (each ask an HTTP request, no sleep).
 */

import assert from "node:assert/strict";
import { once } from "node:events";
import net from "node:net";
import { describe, it } from "node:test";
import tls from "node:tls";
import { openFileLimit } from "../../src/transport/descriptor-limit.js";
import { MemoryCgroup, memoryCgroupUnavailable } from "../helpers/memory-cgroup.js";
import { METRICS_LINE, metricsPortOf, sampleValue, scrape } from "../helpers/metrics-scrape.js";
import { SERVER_BIN, ServerProcess } from "../helpers/server-process.js";
import {
  captureClientHello,
  haveOpenssl,
  makeCertificate,
  scratchDir,
  tlsRequest,
} from "../helpers/tls-files.js";

const LIMIT = 256 * 1024 * 1024;
const SILENT = 9000;
const HALF_HELLOS = 6000;
const HANDSHAKES = 512;

function unavailable(): string | undefined {
  if (!haveOpenssl) return "openssl is not installed (Debian package: openssl)";
  const files = openFileLimit();
  if (files !== undefined && files < SILENT + 1000)
    return `the descriptor limit (${files}) is below ${SILENT + 1000}`;
  return memoryCgroupUnavailable();
}
const skip = unavailable() ?? false;

interface Cleanup {
  after(fn: () => unknown): void;
}

async function serverInCgroup(t: Cleanup) {
  const cert = makeCertificate(scratchDir(t, "tls-memory-"), "server");
  const cgroup = new MemoryCgroup("timeserver-tls-memory", LIMIT);
  const child = cgroup.spawn(
    process.execPath,
    [
      SERVER_BIN,
      "--host",
      "127.0.0.1",
      "--port",
      "0",
      "--tls-port",
      "0",
      "--tls-cert",
      cert.certFile,
      "--tls-key",
      cert.keyFile,
      "--metrics-port",
      "0",
    ],
    // Variables, not flags: a build without them starts all the same (and fails the test by dying).
    {
      TIMESERVER_TLS_MAX_CONNECTIONS: "10000",
      TIMESERVER_TLS_MAX_HANDSHAKES: String(HANDSHAKES),
      TIMESERVER_TLS_HANDSHAKE_TIMEOUT: "3600",
    },
  );
  const server = new ServerProcess(child);
  t.after(async () => {
    await server.kill();
    cgroup.remove();
  });
  const tlsLine = await server.waitForLine(/Listening on 127\.0\.0\.1:\d+ \(tls\)/);
  const tlsPort = Number(/:(\d+) \(tls\)/.exec(tlsLine)?.[1]);
  const metricsPort = metricsPortOf(await server.waitForLine(METRICS_LINE));
  return { server, cgroup, tlsPort, metricsPort, ca: cert.pem };
}

/** Long enough never to end a healthy run; only there so a count that never settles fails instead of spinning. */
const SAFETY_NET_MS = 120_000;

/**
 * Scrape until `done(text)`; rejects if the server exits (its scrape fails)
 * first, or, with the last scrape's TLS series, if the counts never settle.
 */
async function scrapeUntil(
  server: ServerProcess,
  cgroup: MemoryCgroup,
  metricsPort: number,
  done: (text: string) => boolean,
): Promise<string> {
  const giveUpAt = performance.now() + SAFETY_NET_MS;
  for (;;) {
    if (server.hasExitedYet) throw new Error(`the server exited: ${server.stderr}`);
    const text = await scrape(metricsPort).catch((error: Error) => {
      throw new Error(
        `the metrics endpoint failed (${error.message}); OOM kills: ${cgroup.oomKills}`,
      );
    });
    if (done(text)) return text;
    if (performance.now() > giveUpAt) {
      const tlsSeries = text.split("\n").filter((line) => line.includes('protocol="tls"'));
      throw new Error(
        `the counts did not settle within ${SAFETY_NET_MS} ms (safety net); last scrape:\n${tlsSeries.join("\n")}`,
      );
    }
    await new Promise((resolve) => setImmediate(resolve));
  }
}

const active = (text: string) =>
  sampleValue(text, "timeserver_connections_active", { protocol: "tls" });

/** `count` TCP connections to `port`, opened 500 at a time. */
async function openMany(count: number, port: number): Promise<net.Socket[]> {
  const sockets: net.Socket[] = [];
  while (sockets.length < count) {
    const batch: Promise<unknown>[] = [];
    for (let n = 0; n < 500 && sockets.length < count; n++) {
      const socket = net.connect(port, "127.0.0.1");
      socket.on("error", () => {});
      sockets.push(socket);
      batch.push(once(socket, "connect"));
    }
    await Promise.all(batch);
  }
  return sockets;
}

async function servesTls(port: number, ca: string): Promise<void> {
  const socket = tls.connect({ port, host: "127.0.0.1", servername: "localhost", ca });
  try {
    await once(socket, "secureConnect");
    assert.match(await tlsRequest(socket, "TIME\r\n", 1), /^JAM \d\d:\d\d:\d\d\r\n$/);
  } finally {
    socket.destroy();
  }
}

describe("TLS connections in a 256 MiB memory cgroup", { skip }, () => {
  it(`${SILENT} silent TLS connections reset at once: no OOM kill, and a fresh client is served`, async (t) => {
    const { server, cgroup, tlsPort, metricsPort, ca } = await serverInCgroup(t);
    const sockets = await openMany(SILENT, tlsPort);
    await scrapeUntil(server, cgroup, metricsPort, (text) => active(text) === SILENT);
    const held = cgroup.maxUsage;
    for (const socket of sockets) socket.resetAndDestroy();
    await scrapeUntil(server, cgroup, metricsPort, (text) => active(text) === 0);
    await servesTls(tlsPort, ca);
    assert.equal(server.hasExitedYet, false);
    assert.equal(cgroup.oomKills, 0);
    t.diagnostic(
      `peak ${(held / 2 ** 20).toFixed(0)} MiB with ${SILENT} held, ${(cgroup.maxUsage / 2 ** 20).toFixed(0)} MiB after the reset`,
    );
  });

  it(`${HALF_HELLOS} clients each holding half a ClientHello: ${HANDSHAKES} handshakes in progress, the rest refused, no OOM kill`, async (t) => {
    const { server, cgroup, tlsPort, metricsPort, ca } = await serverInCgroup(t);
    const hello = await captureClientHello();
    const half = hello.subarray(0, hello.length >> 1);
    const sockets = await openMany(HALF_HELLOS, tlsPort);
    for (const socket of sockets) socket.write(half);
    // The series appears with the first refusal.
    const refused = (text: string) =>
      /timeserver_connections_refused_total\{[^}]*reason="handshake-limit"/.test(text)
        ? sampleValue(text, "timeserver_connections_refused_total", {
            protocol: "tls",
            reason: "handshake-limit",
          })
        : 0;
    await scrapeUntil(
      server,
      cgroup,
      metricsPort,
      (text) => refused(text) === HALF_HELLOS - HANDSHAKES && active(text) === HANDSHAKES,
    );
    await server.waitForLine(/TLS handshake limit reached: refused 127\.0\.0\.1:\d+/);
    const held = cgroup.maxUsage;
    for (const socket of sockets) socket.resetAndDestroy();
    await scrapeUntil(server, cgroup, metricsPort, (text) => active(text) === 0);
    await servesTls(tlsPort, ca);
    assert.equal(server.hasExitedYet, false);
    assert.equal(cgroup.oomKills, 0);
    t.diagnostic(
      `peak ${(held / 2 ** 20).toFixed(0)} MiB with ${HANDSHAKES} handshakes held, ${(cgroup.maxUsage / 2 ** 20).toFixed(0)} MiB after the reset`,
    );
  });
});
