/**
 * One registry of counters and gauges per process. Every layer asks it once,
 * at set-up, for the series it will count into (a name and fixed labels), and
 * then counts with a field increment: nothing on the request path looks
 * anything up or formats anything. `snapshot()` copies the values out as plain
 * data, which is what --workers sends over IPC and sums, and what a metrics
 * endpoint formats at scrape time.
 */

export type Labels = Readonly<Record<string, string>>;
export type MetricType = "counter" | "gauge";

/** A counter: only grows. Count with `inc()` or `value += n`. */
export class Counter {
  value = 0;
  inc(by = 1): void {
    this.value += by;
  }
}

/** A gauge: goes up and down (connections open now). */
export class Gauge {
  value = 0;
  inc(by = 1): void {
    this.value += by;
  }
  dec(by = 1): void {
    this.value -= by;
  }
  set(value: number): void {
    this.value = value;
  }
}

export interface Sample {
  labels: Labels;
  value: number;
}

export interface FamilySnapshot {
  name: string;
  help: string;
  type: MetricType;
  samples: Sample[];
}

export type MetricsSnapshot = FamilySnapshot[];

interface Family {
  name: string;
  help: string;
  type: MetricType;
  series: Map<string, { labels: Labels; metric: Counter | Gauge | (() => number) }>;
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

function labelKey(labels: Labels): string {
  return Object.keys(labels)
    .sort()
    .map((key) => `${key}=${labels[key]}`)
    .join(",");
}

export class CounterRegistry {
  private readonly families = new Map<string, Family>();

  /** The counter `name{labels}`; asking twice gives the same one. */
  counter(name: string, help: string, labels: Labels = {}): Counter {
    return this.series(name, help, "counter", labels, () => new Counter()) as Counter;
  }

  /** The gauge `name{labels}`; asking twice gives the same one. */
  gauge(name: string, help: string, labels: Labels = {}): Gauge {
    return this.series(name, help, "gauge", labels, () => new Gauge()) as Gauge;
  }

  /** A counter kept elsewhere (the logger's dropped lines), read only when a snapshot is taken. */
  counterFunction(name: string, help: string, labels: Labels, read: () => number): void {
    this.series(name, help, "counter", labels, () => read);
  }

  /** A gauge read only when a snapshot is taken (a queue length, a table size). */
  gaugeFunction(name: string, help: string, labels: Labels, read: () => number): void {
    this.series(name, help, "gauge", labels, () => read);
  }

  snapshot(): MetricsSnapshot {
    const out: MetricsSnapshot = [];
    for (const family of this.families.values()) {
      const samples: Sample[] = [];
      for (const { labels, metric } of family.series.values()) {
        samples.push({ labels, value: typeof metric === "function" ? metric() : metric.value });
      }
      out.push({ name: family.name, help: family.help, type: family.type, samples });
    }
    return out;
  }

  /** The sum of every series of `name` whose labels include `match` (0 if none): for logs and tests. */
  total(name: string, match: Labels = {}): number {
    return totalOf(this.snapshot(), name, match);
  }

  private series(
    name: string,
    help: string,
    type: MetricType,
    labels: Labels,
    make: () => Counter | Gauge | (() => number),
  ): Counter | Gauge | (() => number) {
    if (!NAME.test(name)) throw new RangeError(`not a metric name: ${name}`);
    let family = this.families.get(name);
    if (family === undefined) {
      family = { name, help, type, series: new Map() };
      this.families.set(name, family);
    } else if (family.type !== type) {
      throw new RangeError(`${name} is a ${family.type}, not a ${type}`);
    }
    const key = labelKey(labels);
    let entry = family.series.get(key);
    if (entry === undefined) {
      entry = { labels: { ...labels }, metric: make() };
      family.series.set(key, entry);
    }
    return entry.metric;
  }
}

/** The sum of every sample of `name` in `snapshot` whose labels include `match`. */
export function totalOf(snapshot: MetricsSnapshot, name: string, match: Labels = {}): number {
  let sum = 0;
  for (const family of snapshot) {
    if (family.name !== name) continue;
    for (const sample of family.samples) {
      if (Object.entries(match).every(([key, value]) => sample.labels[key] === value)) {
        sum += sample.value;
      }
    }
  }
  return sum;
}

/** Several processes' snapshots as one: samples with the same name and labels are added. */
export function sumSnapshots(snapshots: readonly MetricsSnapshot[]): MetricsSnapshot {
  const families = new Map<string, FamilySnapshot & { index: Map<string, Sample> }>();
  for (const snapshot of snapshots) {
    for (const family of snapshot) {
      let into = families.get(family.name);
      if (into === undefined) {
        into = {
          name: family.name,
          help: family.help,
          type: family.type,
          samples: [],
          index: new Map(),
        };
        families.set(family.name, into);
      }
      for (const sample of family.samples) {
        const key = labelKey(sample.labels);
        const existing = into.index.get(key);
        if (existing === undefined) {
          const copy = { labels: { ...sample.labels }, value: sample.value };
          into.index.set(key, copy);
          into.samples.push(copy);
        } else {
          existing.value += sample.value;
        }
      }
    }
  }
  return [...families.values()].map(({ name, help, type, samples }) => ({
    name,
    help,
    type,
    samples,
  }));
}

/** True for data shaped like a snapshot (what arrives over IPC is checked before it is trusted). */
export function isMetricsSnapshot(value: unknown): value is MetricsSnapshot {
  return (
    Array.isArray(value) &&
    value.every(
      (family) =>
        typeof family === "object" &&
        family !== null &&
        typeof family.name === "string" &&
        (family.type === "counter" || family.type === "gauge") &&
        Array.isArray(family.samples) &&
        family.samples.every(
          (sample: unknown) =>
            typeof sample === "object" &&
            sample !== null &&
            typeof (sample as Sample).value === "number" &&
            typeof (sample as Sample).labels === "object",
        ),
    )
  );
}
