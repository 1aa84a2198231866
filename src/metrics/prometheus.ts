/**
 * The Prometheus text exposition of a counters snapshot, made by prom-client
 * at scrape time: the request path only ever increments fields, and nothing
 * is formatted until someone asks. Each family of the snapshot becomes a
 * prom-client metric whose `collect()` copies the latest values in; the
 * process metrics are prom-client's defaults, less three that break
 * `promtool check metrics`, plus timeserver_build_info.
 */

import client from "prom-client";
import { packageVersion } from "../version.js";
import type { MetricsSnapshot } from "./counters.js";

/**
 * Gauges prom-client names *_total, which `promtool check metrics` refuses
 * (exit 3: "non-counter metrics should not have _total suffix"). Each is the
 * sum over `type` of the series without the suffix, so nothing is lost.
 */
const MISNAMED_DEFAULTS = [
  "nodejs_active_handles_total",
  "nodejs_active_requests_total",
  "nodejs_active_resources_total",
];

export class PrometheusExposition {
  readonly registry = new client.Registry();
  private latest: MetricsSnapshot = [];
  /** The families registered with prom-client, by name: their type and label names, as a key. */
  private readonly known = new Map<string, string>();

  constructor(options: { processMetrics?: boolean } = {}) {
    if (options.processMetrics ?? true) {
      client.collectDefaultMetrics({ register: this.registry });
      for (const name of MISNAMED_DEFAULTS) this.registry.removeSingleMetric(name);
      new client.Gauge({
        name: "timeserver_build_info",
        help: "Always 1; the labels say which timeserver and which Node.js serve.",
        labelNames: ["version", "nodejs"],
        registers: [this.registry],
      }).set({ version: packageVersion(), nodejs: process.versions.node }, 1);
    }
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** The text for `snapshot` (summed over the workers, or this process's). */
  async render(snapshot: MetricsSnapshot): Promise<string> {
    this.latest = snapshot;
    const present = new Set<string>();
    for (const family of snapshot) {
      present.add(family.name);
      this.register(family.name);
    }
    // A family the snapshot no longer has would show as HELP and TYPE with no samples.
    for (const name of this.known.keys()) {
      if (present.has(name)) continue;
      this.registry.removeSingleMetric(name);
      this.known.delete(name);
    }
    return this.registry.metrics();
  }

  private register(name: string): void {
    const family = this.latest.find((each) => each.name === name);
    if (family === undefined) return;
    const labelNames = [
      ...new Set(family.samples.flatMap((sample) => Object.keys(sample.labels))),
    ].sort();
    const key = `${family.type} ${labelNames.join(",")}`;
    const registered = this.known.get(name);
    if (registered === key) return;
    // prom-client fixes a metric's label names when it is made: a family whose
    // series gained a label is made anew, or every later scrape would throw.
    if (registered !== undefined) this.registry.removeSingleMetric(name);
    this.known.set(name, key);
    const exposition = this;
    if (family.type === "counter") {
      new client.Counter({
        name,
        help: family.help,
        labelNames,
        registers: [this.registry],
        collect() {
          this.reset();
          for (const sample of exposition.samples(name)) this.inc(sample.labels, sample.value);
        },
      });
    } else {
      new client.Gauge({
        name,
        help: family.help,
        labelNames,
        registers: [this.registry],
        collect() {
          this.reset();
          for (const sample of exposition.samples(name)) this.set(sample.labels, sample.value);
        },
      });
    }
  }

  private samples(name: string) {
    return this.latest.find((family) => family.name === name)?.samples ?? [];
  }
}
