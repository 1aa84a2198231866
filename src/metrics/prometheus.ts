/**
 * The Prometheus text exposition of a counters snapshot, made by prom-client
 * at scrape time: the request path only ever increments fields, and nothing
 * is formatted until someone asks. Each family of the snapshot becomes a
 * prom-client metric whose `collect()` copies the latest values in; the
 * process metrics are prom-client's defaults.
 */

import client from "prom-client";
import type { MetricsSnapshot } from "./counters.js";

export class PrometheusExposition {
  readonly registry = new client.Registry();
  private latest: MetricsSnapshot = [];
  private readonly known = new Set<string>();

  constructor(options: { processMetrics?: boolean } = {}) {
    if (options.processMetrics ?? true) client.collectDefaultMetrics({ register: this.registry });
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** The text for `snapshot` (summed over the workers, or this process's). */
  async render(snapshot: MetricsSnapshot): Promise<string> {
    this.latest = snapshot;
    for (const family of snapshot) this.register(family.name);
    return this.registry.metrics();
  }

  private register(name: string): void {
    if (this.known.has(name)) return;
    this.known.add(name);
    const family = this.latest.find((each) => each.name === name);
    if (family === undefined) return;
    const labelNames = [...new Set(family.samples.flatMap((sample) => Object.keys(sample.labels)))];
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
