/**
 * deploy/grafana/timeserver.json: a dashboard Grafana can import (unique
 * panel ids, a uid, the data source as a variable), with panels for what an
 * operator watches, whose every query parses as PromQL (promtool, by way of
 * a rules file made of them) and reads only metrics the server exports.
 */

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { stringify } from "yaml";
import { exportedMetricNames, metricNamesIn } from "./exported-metrics.js";

const FILE = fileURLToPath(new URL("../../../deploy/grafana/timeserver.json", import.meta.url));
const havePromtool = spawnSync("promtool", ["--version"]).error === undefined;

interface Panel {
  id: number;
  type: string;
  title: string;
  targets?: { expr: string; refId: string }[];
  datasource?: { uid: string };
}

const dashboard = JSON.parse(readFileSync(FILE, "utf8")) as {
  uid: string;
  title: string;
  panels: Panel[];
  templating: { list: { name: string; type: string }[] };
};
const queries = dashboard.panels.flatMap((panel) =>
  (panel.targets ?? []).map((target) => ({ panel: panel.title, expr: target.expr })),
);

/** The query as Prometheus gets it, with Grafana's variables filled in as Grafana would. */
function expand(expr: string): string {
  return expr
    .replaceAll("$__rate_interval", "1m")
    .replaceAll("$job", "timeserver")
    .replaceAll("$instance", ".+");
}

describe("deploy/grafana/timeserver.json", () => {
  it("is an importable dashboard: uid, unique panel ids, data source and instance variables", () => {
    assert.equal(dashboard.uid, "timeserver");
    const ids = dashboard.panels.map((panel) => panel.id);
    assert.equal(new Set(ids).size, ids.length, "panel ids are unique");
    const variables = dashboard.templating.list.map((variable) => variable.name);
    assert.deepEqual(variables, ["datasource", "job", "instance"]);
    for (const panel of dashboard.panels) {
      if (panel.type === "row") continue;
      // Grafana fills in the data source variable; a fixed uid would not exist elsewhere.
      assert.equal(panel.datasource?.uid, "$" + "{datasource}", panel.title);
      assert.ok((panel.targets ?? []).length > 0, `${panel.title} has a query`);
    }
  });

  it("shows requests and refusals by protocol and reason, connections, drops, log lines dropped, event-loop lag, workers", () => {
    const all = queries.map((query) => query.expr).join("\n");
    for (const wanted of [
      /by \(protocol, transport, result\) \(rate\(timeserver_requests_total/,
      /by \(protocol, reason\) \(rate\(timeserver_connections_refused_total/,
      /timeserver_connections_active/,
      /by \(protocol, reason\) \(rate\(timeserver_datagrams_dropped_total/,
      /timeserver_log_lines_dropped_total/,
      /timeserver_event_loop_delay_p99_seconds/,
      /timeserver_workers/,
    ]) {
      assert.match(all, wanted);
    }
  });

  it("has queries that all parse as PromQL", {
    skip: havePromtool ? false : "promtool is not installed (Debian package: prometheus)",
  }, () => {
    // promtool parses a rule's expr fully, so each query becomes a recording rule.
    const dir = mkdtempSync(join(tmpdir(), "timeserver-dashboard-"));
    try {
      const file = join(dir, "queries.yml");
      const rules = queries.map((query, index) => ({
        record: `dashboard:query_${index}`,
        expr: expand(query.expr),
      }));
      writeFileSync(file, stringify({ groups: [{ name: "dashboard", rules }] }));
      const result = spawnSync("promtool", ["check", "rules", file], { encoding: "utf8" });
      assert.equal(result.status, 0, `${result.stdout}${result.stderr}`);
      assert.match(result.stdout, new RegExp(`SUCCESS: ${queries.length} rules found`));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("queries only metrics the server exports", async (t) => {
    const exported = await exportedMetricNames(t);
    exported.add("up");
    const unknown = queries.flatMap(({ panel, expr }) =>
      metricNamesIn(expand(expr))
        .filter((name) => !exported.has(name))
        .map((name) => `${panel}: ${name}`),
    );
    assert.deepEqual(unknown, []);
  });
});
