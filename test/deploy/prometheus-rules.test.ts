/**
 * deploy/prometheus/rules.yml: promtool accepts it, its unit tests
 * (rules.test.yml) pass, and every metric it queries is one the server
 * exports (or Prometheus' own `up`).
 */

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";
import { exportedMetricNames, metricNamesIn } from "./exported-metrics.js";

const DIR = fileURLToPath(new URL("../../../deploy/prometheus/", import.meta.url));
const havePromtool = spawnSync("promtool", ["--version"]).error === undefined;
const skip = havePromtool ? false : "promtool is not installed (Debian package: prometheus)";

interface Rule {
  alert?: string;
  expr: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

const rules = (
  parse(readFileSync(`${DIR}rules.yml`, "utf8")) as { groups: { rules: Rule[] }[] }
).groups.flatMap((group) => group.rules);

function promtool(...args: string[]): { status: number | null; output: string } {
  const result = spawnSync("promtool", args, { cwd: DIR, encoding: "utf8" });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

describe("deploy/prometheus/rules.yml", () => {
  it("passes promtool check rules", { skip }, () => {
    const { status, output } = promtool("check", "rules", "rules.yml");
    assert.equal(status, 0, output);
    assert.match(output, new RegExp(`SUCCESS: ${rules.length} rules found`));
  });

  it("passes its unit tests (promtool test rules rules.test.yml)", { skip }, () => {
    const { status, output } = promtool("test", "rules", "rules.test.yml");
    assert.equal(status, 0, output);
  });

  it("alerts on down, not ready, refusals, drops, dropped log lines and restarts, each tested", () => {
    const names = rules.map((rule) => rule.alert);
    for (const wanted of [
      "TimeserverDown",
      "TimeserverNotReady",
      "TimeserverConnectionsRefusedAtLimit",
      "TimeserverRefusalsClimbing",
      "TimeserverDatagramsDropped",
      "TimeserverLogLinesDropped",
      "TimeserverWorkerRestarts",
      "TimeserverRestarted",
    ]) {
      assert.ok(names.includes(wanted), wanted);
    }
    const tests = readFileSync(`${DIR}rules.test.yml`, "utf8");
    for (const name of names)
      assert.match(tests, new RegExp(`alertname: ${name}$`, "m"), `${name} has no test`);
    for (const rule of rules) {
      assert.ok(rule.labels?.severity, `${rule.alert} has a severity`);
      assert.ok(rule.annotations?.summary, `${rule.alert} has a summary`);
    }
  });

  it("queries only metrics the server exports", async (t) => {
    const exported = await exportedMetricNames(t);
    exported.add("up");
    const unknown = rules.flatMap((rule) =>
      metricNamesIn(rule.expr)
        .filter((name) => !exported.has(name))
        .map((name) => `${rule.alert}: ${name}`),
    );
    assert.deepEqual(unknown, []);
  });
});
