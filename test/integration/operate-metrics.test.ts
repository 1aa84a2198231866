/**
 * /metrics, /healthz and /readyz as an operator meets them: the real binary,
 * known traffic on every protocol, then a scrape whose timeserver_* samples
 * must be exactly what was sent (every series, no more), and which promtool
 * accepts. Under --workers the primary alone listens on the metrics port and
 * serves the workers' counters summed. Every wait is on a reply or on the
 * server's own "Connection closed" line (logged after the gauge went down).
 */

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { startClusterFor, workerPids } from "../cluster/cluster-process.js";
import { pidsListeningOn } from "../helpers/listening-pids.js";
import {
  httpRequest,
  METRICS_LINE,
  metricsPortOf,
  parseSamples,
  promtoolCheckMetrics,
  sampleValue,
  scrape,
} from "../helpers/metrics-scrape.js";
import { type ServerProcess, startServerFor } from "../helpers/server-process.js";
import { startStandardServerFor } from "../helpers/standard-server.js";
import { udpClientFor } from "../helpers/udp-client.js";
import { connectFor, INVALID, TIME_REPLY_GLOBAL } from "../helpers/wire-client.js";
import { datagram } from "../protocols/sntp-datagrams.js";

const havePromtool = spawnSync("promtool", ["--version"]).error === undefined;

/** Every timeserver_* sample as `name{label="value",...}` → value, labels sorted. */
function timeserverSamples(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const sample of parseSamples(text)) {
    if (!sample.name.startsWith("timeserver_")) continue;
    const labels = Object.entries(sample.labels)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([key, value]) => `${key}="${value}"`)
      .join(",");
    out[`${sample.name}{${labels}}`] = sample.value;
  }
  return out;
}

const VERSION = (
  JSON.parse(readFileSync(new URL("../../../package.json", import.meta.url), "utf8")) as {
    version: string;
  }
).version;
const BUILD_INFO = `timeserver_build_info{nodejs="${process.versions.node}",version="${VERSION}"}`;

/** Waits for the server's "Connection closed" line for this client port (JSON or text logs). */
function closedLogged(server: ServerProcess, clientPort: number): Promise<string> {
  return server.waitForLine(
    new RegExp(`Connection closed from 127\\.0\\.0\\.1:${clientPort}(?:$|")`),
  );
}

describe("metrics count exactly what was sent", () => {
  it("one process: every timeserver_* sample after known traffic on all protocols", async (t) => {
    const std = await startStandardServerFor(t, ["--metrics-port", "0"]);
    const metricsPort = metricsPortOf(await std.server.waitForLine(METRICS_LINE));

    // Line protocol: 7 TIME, 2 invalid lines, QUIT, on one connection.
    const line = await connectFor(t, std.linePort);
    const linePort = line.socket.localPort as number;
    line.send(`${"TIME\r\n".repeat(7)}foo\r\nx y\r\nQUIT\r\n`);
    const lineReply = (await line.waitForClose()).toString("latin1");
    assert.equal(lineReply.match(TIME_REPLY_GLOBAL)?.length, 7);
    assert.equal(lineReply.replace(TIME_REPLY_GLOBAL, ""), INVALID + INVALID);
    await closedLogged(std.server, linePort);

    // RFC 868 over TCP, twice: 4 bytes, then the server closes.
    for (let n = 0; n < 2; n++) {
      const client = await connectFor(t, std.rfc868Port);
      const port = client.socket.localPort as number;
      assert.equal((await client.waitForClose()).length, 4);
      await closedLogged(std.server, port);
    }

    // Daytime over UDP, three datagrams of 1 byte each.
    const udp = await udpClientFor(t);
    let daytimeSent = 0;
    for (let n = 0; n < 3; n++)
      daytimeSent += (await udp.request(std.daytimePort, Buffer.from("?"))).length;

    // SNTP: two mode-6 (control) probes first, which get nothing, then four
    // client requests. One socket reads its datagrams in order, so the fourth
    // reply means the probes were seen (and dropped) before it.
    const ntp = await udpClientFor(t);
    const probe = datagram({ version: 2, mode: 6, length: 12 });
    await ntp.send(std.ntpPort, probe);
    await ntp.send(std.ntpPort, probe);
    const request = datagram();
    for (let n = 0; n < 4; n++) await ntp.send(std.ntpPort, request);
    for (let n = 0; n < 4; n++) await ntp.waitFor(() => true, n);
    assert.equal(ntp.replies.length, 4);

    const text = await scrape(metricsPort);
    // Event-loop delays are measured, not counted: present, but no exact figure to expect.
    const samples = timeserverSamples(text);
    for (const quantile of ["p50", "p99", "max"]) {
      const key = `timeserver_event_loop_delay_${quantile}_seconds{}`;
      assert.ok((samples[key] ?? -1) >= 0, key);
      delete samples[key];
    }
    const requests = (protocol: string, transport: string, result: string) =>
      `timeserver_requests_total{protocol="${protocol}",result="${result}",transport="${transport}"}`;
    assert.deepEqual(samples, {
      'timeserver_accept_errors_total{protocol="daytime"}': 0,
      'timeserver_accept_errors_total{protocol="line"}': 0,
      [BUILD_INFO]: 1,
      "timeserver_clock_steps_total{}": 0,
      "timeserver_ready{}": 1,
      'timeserver_accept_errors_total{protocol="rfc868"}': 0,
      'timeserver_connections_accepted_total{protocol="daytime"}': 0,
      'timeserver_connections_accepted_total{protocol="line"}': 1,
      'timeserver_connections_accepted_total{protocol="rfc868"}': 2,
      'timeserver_connections_active{protocol="daytime"}': 0,
      'timeserver_connections_active{protocol="line"}': 0,
      'timeserver_connections_active{protocol="rfc868"}': 0,
      'timeserver_datagrams_dropped_total{protocol="daytime",reason="send-error"}': 0,
      'timeserver_datagrams_dropped_total{protocol="ntp",reason="mode"}': 2,
      'timeserver_datagrams_dropped_total{protocol="ntp",reason="send-error"}': 0,
      'timeserver_datagrams_dropped_total{protocol="rfc868",reason="send-error"}': 0,
      "timeserver_log_lines_dropped_total{}": 0,
      "timeserver_rate_limit_evictions_total{}": 0,
      "timeserver_rate_limited_addresses{}": 0,
      'timeserver_received_bytes_total{protocol="daytime",transport="udp"}': 3,
      'timeserver_received_bytes_total{protocol="line",transport="tcp"}': 7 * 6 + 5 + 5 + 6,
      'timeserver_received_bytes_total{protocol="ntp",transport="udp"}': 2 * 12 + 4 * 48,
      'timeserver_received_bytes_total{protocol="rfc868",transport="udp"}': 0,
      [requests("daytime", "tcp", "ok")]: 0,
      [requests("daytime", "tcp", "rate-limited")]: 0,
      [requests("daytime", "udp", "ok")]: 3,
      [requests("line", "tcp", "invalid")]: 2,
      [requests("line", "tcp", "quit")]: 1,
      [requests("line", "tcp", "rate-limited")]: 0,
      [requests("line", "tcp", "time")]: 7,
      [requests("line", "tcp", "too-long")]: 0,
      [requests("ntp", "udp", "kod")]: 0,
      [requests("ntp", "udp", "ok")]: 4,
      [requests("rfc868", "tcp", "ok")]: 2,
      [requests("rfc868", "tcp", "rate-limited")]: 0,
      [requests("rfc868", "udp", "ok")]: 0,
      'timeserver_sent_bytes_total{protocol="daytime",transport="tcp"}': 0,
      'timeserver_sent_bytes_total{protocol="daytime",transport="udp"}': daytimeSent,
      'timeserver_sent_bytes_total{protocol="line",transport="tcp"}': 7 * 14 + 2 * 17,
      'timeserver_sent_bytes_total{protocol="ntp",transport="udp"}': 4 * 48,
      'timeserver_sent_bytes_total{protocol="rfc868",transport="tcp"}': 2 * 4,
      'timeserver_sent_bytes_total{protocol="rfc868",transport="udp"}': 0,
    });
    // Each family says what it is, once.
    for (const family of new Set(
      Object.keys(timeserverSamples(text)).map((key) => key.split("{")[0]),
    )) {
      const type = family?.endsWith("_total") ? "counter" : "gauge";
      assert.equal(
        text.split(`# TYPE ${family} ${type}\n`).length,
        2,
        `${family}: one TYPE ${type} line`,
      );
      assert.equal(text.split(`# HELP ${family} `).length, 2, `${family}: one HELP line`);
    }
  });

  it("promtool check metrics finds nothing to say, and exits 0", {
    skip: havePromtool ? false : "promtool is not installed (Debian package: prometheus)",
  }, async (t) => {
    const std = await startStandardServerFor(t, ["--metrics-port", "0"]);
    const metricsPort = metricsPortOf(await std.server.waitForLine(METRICS_LINE));
    // Some traffic, so that labelled series carry values.
    const client = await connectFor(t, std.linePort);
    client.send("TIME\r\nnope\r\nQUIT\r\n");
    await client.waitForClose();
    const text = await scrape(metricsPort);
    const { code, problems } = await promtoolCheckMetrics(text);
    // prom-client's three gauges named *_total are left out, so nothing is left to complain of.
    assert.deepEqual(problems, [], `promtool check metrics:\n${problems.join("\n")}`);
    assert.equal(code, 0);
  });

  it("--workers 2: the primary alone listens on the metrics port and sums the workers exactly", async (t) => {
    const server = await startClusterFor(t, 2, ["--metrics-port", "0", "--log-format", "json"]);
    const metricsPort = metricsPortOf(await server.waitForLine(METRICS_LINE));
    const workers = [...workerPids(server.lines).values()];
    assert.equal(workers.length, 2);

    // Only the primary holds a socket listening on the metrics port; no worker does.
    assert.deepEqual(pidsListeningOn(metricsPort), [server.child.pid]);

    // New connections until both workers have served at least one (the pid of
    // each "Connection closed" line says which), each asking TIME twice and QUIT.
    const servedBy = new Set<number>();
    let connections = 0;
    while (servedBy.size < 2) {
      assert.ok(connections < 200, `200 connections all went to worker ${[...servedBy]}`);
      const client = await connectFor(t, server.port);
      const port = client.socket.localPort as number;
      client.send("TIME\r\nTIME\r\nQUIT\r\n");
      const reply = (await client.waitForClose()).toString("latin1");
      assert.equal(reply.match(TIME_REPLY_GLOBAL)?.length, 2);
      const closed = JSON.parse(await closedLogged(server, port)) as { pid: number };
      assert.ok(workers.includes(closed.pid), `served by pid ${closed.pid}, not a worker`);
      servedBy.add(closed.pid);
      connections++;
    }
    t.diagnostic(`${connections} connections reached both workers`);

    const text = await scrape(metricsPort);
    const samples = timeserverSamples(text);
    const request = (result: string) =>
      samples[`timeserver_requests_total{protocol="line",result="${result}",transport="tcp"}`];
    assert.equal(request("time"), 2 * connections);
    assert.equal(request("quit"), connections);
    assert.equal(request("invalid"), 0);
    assert.equal(samples['timeserver_connections_accepted_total{protocol="line"}'], connections);
    assert.equal(samples['timeserver_connections_active{protocol="line"}'], 0);
    // The primary's own: build, workers alive, restarts; the workers' per-process counters summed.
    assert.equal(samples[BUILD_INFO], 1);
    assert.equal(samples["timeserver_workers{}"], 2);
    assert.equal(samples["timeserver_ready{}"], 1);
    assert.equal(samples["timeserver_worker_restarts_total{}"], 0);
    assert.equal(samples["timeserver_log_lines_dropped_total{}"], 0);
    assert.equal(samples["timeserver_clock_steps_total{}"], 0);
    // Each worker's event-loop delay, kept apart by its worker label.
    for (const worker of ["1", "2"]) {
      const key = `timeserver_event_loop_delay_p99_seconds{worker="${worker}"}`;
      assert.ok((samples[key] ?? -1) >= 0, key);
    }
    assert.equal(
      samples['timeserver_received_bytes_total{protocol="line",transport="tcp"}'],
      connections * 18,
    );
    assert.equal(
      samples['timeserver_sent_bytes_total{protocol="line",transport="tcp"}'],
      connections * 28,
    );
    // A second scrape with no traffic in between says the same (fresh reports, not doubled).
    const measured = (all: Record<string, number>) =>
      Object.fromEntries(Object.entries(all).filter(([key]) => !key.includes("event_loop")));
    assert.deepEqual(measured(timeserverSamples(await scrape(metricsPort))), measured(samples));
  });
});

describe("health endpoints", () => {
  it("/healthz and /readyz answer 200 while serving; other paths 404, other methods 405", async (t) => {
    const server = await startServerFor(t, ["--metrics-port", "0"]);
    const port = metricsPortOf(await server.waitForLine(METRICS_LINE));
    const healthz = await httpRequest(port, "/healthz");
    assert.deepEqual([healthz.status, healthz.body], [200, "ok\n"]);
    const readyz = await httpRequest(port, "/readyz");
    assert.deepEqual([readyz.status, readyz.body], [200, "ready\n"]);
    assert.equal((await httpRequest(port, "/")).status, 404);
    assert.equal((await httpRequest(port, "/metrics/extra")).status, 404);
    const post = await httpRequest(port, "/metrics", { method: "POST" });
    assert.equal(post.status, 405);
    assert.equal(post.headers.allow, "GET, HEAD");
    assert.equal((await httpRequest(port, "/readyz", { method: "DELETE" })).status, 405);
    const head = await httpRequest(port, "/healthz", { method: "HEAD" });
    assert.deepEqual([head.status, head.body], [200, ""]);
    // The query string does not change the path.
    assert.equal((await httpRequest(port, "/healthz?verbose=1")).status, 200);
  });

  it("/readyz turns 503 after SIGTERM while a client still holds a connection, before the exit", async (t) => {
    const server = await startServerFor(t, ["--metrics-port", "0"]);
    const port = metricsPortOf(await server.waitForLine(METRICS_LINE));
    // A client that never closes its side: the drain waits for it (up to the 2 s grace).
    const client = await connectFor(t, server.port, "127.0.0.1", { allowHalfOpen: true });
    assert.match((await client.request("TIME\r\n", 14)).toString("latin1"), TIME_REPLY_GLOBAL);

    server.child.kill("SIGTERM");
    const seen: number[] = [];
    for (;;) {
      // Each poll starts when the previous answer is in: no sleeps, no timers.
      const reply = await httpRequest(port, "/readyz").catch((error: Error) => {
        assert.fail(`/readyz stopped answering before it said 503 (saw ${seen}): ${error.message}`);
      });
      seen.push(reply.status);
      if (reply.status !== 200) {
        assert.deepEqual([reply.status, reply.body], [503, "draining\n"]);
        break;
      }
    }
    // The held client keeps the drain (and so /metrics) going: the gauge says the same.
    assert.equal(sampleValue(await scrape(port), "timeserver_ready"), 0);
    // The held client got its FIN, and the server went on to exit cleanly.
    await client.waitForEnd();
    assert.deepEqual(await server.exited, { code: 0, signal: null });
    t.diagnostic(`/readyz answers after SIGTERM: ${seen.join(" ")}`);
  });
});
