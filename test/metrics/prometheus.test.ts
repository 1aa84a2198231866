/**
 * PrometheusExposition: a counters snapshot in, Prometheus text out. Each
 * family keeps its type, HELP text, label names and values; every render
 * shows the latest snapshot (no leftovers from the previous one); label
 * values are escaped as the format requires.
 */

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import type { MetricsSnapshot } from "../../src/metrics/counters.js";
import { CounterRegistry } from "../../src/metrics/counters.js";
import { PrometheusExposition } from "../../src/metrics/prometheus.js";
import { parseSamples, sampleValue } from "../helpers/metrics-scrape.js";

const requests = (time: number, quit: number): MetricsSnapshot => [
  {
    name: "timeserver_requests_total",
    help: "Requests answered or refused, by protocol, transport and result.",
    type: "counter",
    samples: [
      { labels: { protocol: "line", transport: "tcp", result: "time" }, value: time },
      { labels: { protocol: "line", transport: "tcp", result: "quit" }, value: quit },
    ],
  },
  {
    name: "timeserver_connections_active",
    help: "TCP connections open now.",
    type: "gauge",
    samples: [{ labels: { protocol: "line" }, value: 3 }],
  },
  {
    name: "timeserver_log_lines_dropped_total",
    help: "Log lines dropped.",
    type: "counter",
    samples: [{ labels: {}, value: 0 }],
  },
];

describe("PrometheusExposition", () => {
  it("renders each family with its HELP and TYPE lines, labels and values, and nothing else", async () => {
    const exposition = new PrometheusExposition({ processMetrics: false });
    const text = await exposition.render(requests(7, 1));
    assert.equal(
      text,
      [
        "# HELP timeserver_requests_total Requests answered or refused, by protocol, transport and result.",
        "# TYPE timeserver_requests_total counter",
        'timeserver_requests_total{protocol="line",transport="tcp",result="time"} 7',
        'timeserver_requests_total{protocol="line",transport="tcp",result="quit"} 1',
        "",
        "# HELP timeserver_connections_active TCP connections open now.",
        "# TYPE timeserver_connections_active gauge",
        'timeserver_connections_active{protocol="line"} 3',
        "",
        "# HELP timeserver_log_lines_dropped_total Log lines dropped.",
        "# TYPE timeserver_log_lines_dropped_total counter",
        "timeserver_log_lines_dropped_total 0",
        "",
      ].join("\n"),
    );
    assert.match(exposition.contentType, /^text\/plain; version=0\.0\.4/);
  });

  it("shows the latest snapshot on every render, values going up and gauges going down", async () => {
    const exposition = new PrometheusExposition({ processMetrics: false });
    await exposition.render(requests(7, 1));
    const later = requests(12, 2);
    (later[1] as MetricsSnapshot[number]).samples[0] = { labels: { protocol: "line" }, value: 0 };
    const text = await exposition.render(later);
    const labels = { protocol: "line", transport: "tcp", result: "time" };
    assert.equal(sampleValue(text, "timeserver_requests_total", labels), 12);
    assert.equal(sampleValue(text, "timeserver_connections_active", { protocol: "line" }), 0);
    // Rendering the same snapshot twice does not add it up twice.
    const again = await exposition.render(later);
    assert.equal(again, text);
  });

  it("drops a series that is no longer in the snapshot", async () => {
    const exposition = new PrometheusExposition({ processMetrics: false });
    await exposition.render(requests(7, 1));
    const fewer = requests(8, 1);
    (fewer[0] as MetricsSnapshot[number]).samples.pop();
    const text = await exposition.render(fewer);
    const names = parseSamples(text).map((sample) => sample.labels.result ?? sample.name);
    assert.deepEqual(names, [
      "time",
      "timeserver_connections_active",
      "timeserver_log_lines_dropped_total",
    ]);
  });

  it("takes a family first seen later, and one whose series gain a label later", async () => {
    const exposition = new PrometheusExposition({ processMetrics: false });
    await exposition.render(requests(1, 0));
    const refused = (labels: Record<string, string>[]): MetricsSnapshot => [
      {
        name: "timeserver_connections_refused_total",
        help: "Refused.",
        type: "counter",
        samples: labels.map((each, index) => ({ labels: each, value: index + 1 })),
      },
    ];
    let text = await exposition.render(refused([{ protocol: "line" }]));
    assert.equal(
      sampleValue(text, "timeserver_connections_refused_total", { protocol: "line" }),
      1,
    );
    // The families of the first render are gone from this one's snapshot.
    assert.equal(parseSamples(text).length, 1);
    text = await exposition.render(
      refused([{ protocol: "line" }, { protocol: "line", reason: "limit" }]),
    );
    assert.equal(
      sampleValue(text, "timeserver_connections_refused_total", {
        protocol: "line",
        reason: "limit",
      }),
      2,
    );
  });

  it("escapes label values (backslash, quote, newline) as the text format requires", async () => {
    const exposition = new PrometheusExposition({ processMetrics: false });
    const text = await exposition.render([
      {
        name: "odd_total",
        help: "Odd labels.",
        type: "counter",
        samples: [{ labels: { value: 'a"b\\c\nd' }, value: 1 }],
      },
    ]);
    assert.match(text, /^odd_total\{value="a\\"b\\\\c\\nd"\} 1$/m);
  });

  it("renders a live registry's snapshot: what the request path counted is what a scrape shows", async () => {
    const registry = new CounterRegistry();
    const time = registry.counter("timeserver_requests_total", "Requests.", { result: "time" });
    const active = registry.gauge("timeserver_connections_active", "Open now.", {
      protocol: "line",
    });
    let dropped = 0;
    registry.counterFunction("timeserver_log_lines_dropped_total", "Dropped.", {}, () => dropped);
    const exposition = new PrometheusExposition({ processMetrics: false });
    time.inc(5);
    active.inc();
    active.inc();
    active.dec();
    dropped = 4;
    const text = await exposition.render(registry.snapshot());
    assert.equal(sampleValue(text, "timeserver_requests_total", { result: "time" }), 5);
    assert.equal(sampleValue(text, "timeserver_connections_active", { protocol: "line" }), 1);
    assert.equal(sampleValue(text, "timeserver_log_lines_dropped_total"), 4);
  });

  it("adds prom-client's process metrics unless told not to, each exposition in its own registry", async () => {
    const withProcess = new PrometheusExposition();
    const text = await withProcess.render(requests(1, 0));
    assert.match(text, /^# TYPE process_cpu_user_seconds_total counter$/m);
    assert.match(text, /^nodejs_heap_size_used_bytes \d+/m);
    const version = JSON.parse(
      readFileSync(new URL("../../../package.json", import.meta.url), "utf8"),
    ).version;
    assert.equal(
      sampleValue(text, "timeserver_build_info", { version, nodejs: process.versions.node }),
      1,
    );
    // Gauges named *_total, which promtool refuses, are left out.
    assert.doesNotMatch(text, /^nodejs_active_\w+_total/m);
    assert.match(text, /^nodejs_active_handles\{/m);
    assert.equal(sampleValue(text, "timeserver_connections_active", { protocol: "line" }), 3);
    // A second one (a test, or a library user with two servers) does not clash with the first.
    const other = new PrometheusExposition();
    assert.match(await other.render(requests(2, 0)), /result="time"\} 2$/m);
    const bare = await new PrometheusExposition({ processMetrics: false }).render([]);
    assert.equal(bare.trim(), "");
  });
});
