/**
 * One descriptor budget for every listener of the process, under a real
 * `ulimit -n 256`: idle metrics and TLS connections use the same room as the
 * line protocol's, so when they have taken their share a fresh line client
 * is refused by the server itself (counted under reason descriptor-limit,
 * logged) rather than reset by libuv with nothing said.
 */

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import net from "node:net";
import { describe, it } from "node:test";
import { attempt } from "../helpers/line-attempt.js";
import { METRICS_LINE, metricsPortOf, sampleValue, scrape } from "../helpers/metrics-scrape.js";
import { SERVER_BIN, ServerProcess } from "../helpers/server-process.js";
import { haveOpenssl, makeCertificate, scratchDir } from "../helpers/tls-files.js";

const skip = haveOpenssl ? false : "openssl is not installed (Debian package: openssl)";

async function idle(count: number, port: number): Promise<net.Socket[]> {
  const sockets = Array.from({ length: count }, () => {
    const socket = net.connect(port, "127.0.0.1");
    socket.on("error", () => {});
    return socket;
  });
  await Promise.all(sockets.map((socket) => once(socket, "connect")));
  return sockets;
}

/** Scrape, asking again (on the next turn) while the endpoint refuses for want of room. */
async function scrapeWhenRoom(server: ServerProcess, port: number): Promise<string> {
  for (;;) {
    if (server.hasExitedYet) throw new Error(`the server exited: ${server.stderr}`);
    try {
      return await scrape(port);
    } catch {
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
}

describe("one descriptor budget for the whole process", { skip }, () => {
  it("idle metrics and TLS connections, then line clients: the first that does not fit is refused, counted and logged", async (t) => {
    const cert = makeCertificate(scratchDir(t, "descriptors-"), "server");
    const args = [
      "--host",
      "127.0.0.1",
      "--port",
      "0",
      "--metrics-port",
      "0",
      "--tls-port",
      "0",
      "--tls-cert",
      cert.certFile,
      "--tls-key",
      cert.keyFile,
    ];
    const child = spawn(
      "bash",
      ["-c", `ulimit -n 256 && exec "${process.execPath}" "${SERVER_BIN}" ${args.join(" ")}`],
      // A variable, not a flag: a build without it starts all the same. Silent TLS clients stay.
      {
        stdio: ["ignore", "pipe", "pipe"],
        env: { ...process.env, TIMESERVER_TLS_HANDSHAKE_TIMEOUT: "3600" },
      },
    );
    const server = new ServerProcess(child);
    t.after(() => server.kill());
    const lineLine = await server.waitForLine(/Listening on 127\.0\.0\.1:\d+$/);
    const linePort = Number(/:(\d+)$/.exec(lineLine)?.[1]);
    const tlsLine = await server.waitForLine(/Listening on 127\.0\.0\.1:\d+ \(tls\)/);
    const tlsPort = Number(/:(\d+) \(tls\)/.exec(tlsLine)?.[1]);
    const metricsPort = metricsPortOf(await server.waitForLine(METRICS_LINE));

    const held = [...(await idle(40, metricsPort)), ...(await idle(100, tlsPort))];
    t.after(() => {
      for (const socket of held) socket.destroy();
    });
    let refused: net.Socket | undefined;
    let served = 0;
    while (refused === undefined) {
      const result = await attempt(linePort);
      held.push(result.socket);
      if (result.served) served++;
      else refused = result.socket;
      assert.ok(served < 256, "served more connections than the descriptor limit allows");
    }
    for (const socket of held) socket.destroy();
    const text = await scrapeWhenRoom(server, metricsPort);
    assert.ok(
      sampleValue(text, "timeserver_connections_refused_total", {
        protocol: "line",
        reason: "descriptor-limit",
      }) >= 1,
    );
    assert.equal(sampleValue(text, "timeserver_accept_errors_total", { protocol: "line" }), 0);
    // Written when the client was refused, so before the scrape that counted it.
    await server.waitForLine(
      /\[WARN\] Connection limit of \d+ reached across all listeners \(file descriptors\): refused 127\.0\.0\.1:\d+$/,
    );
    t.diagnostic(`${served} line connections served beside 40 metrics and 100 TLS ones`);
  });
});
