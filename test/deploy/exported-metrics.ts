/**
 * Every metric name the real server exports, for checking the names the
 * dashboard and the alert rules query: one process with every protocol (and
 * a refusal, so the lazily made refused/dropped series exist too), and a
 * cluster of two, whose primary adds its own series.
 */

import { startClusterFor } from "../cluster/cluster-process.js";
import { METRICS_LINE, metricsPortOf, parseSamples, scrape } from "../helpers/metrics-scrape.js";
import { connectFrom } from "../helpers/source-clients.js";
import { startStandardServerFor } from "../helpers/standard-server.js";
import { udpClientFor } from "../helpers/udp-client.js";
import type { CleanupContext } from "../helpers/wire-client.js";
import { datagram } from "../protocols/sntp-datagrams.js";

/** Histogram and summary series carry these suffixes on their family's name. */
const SERIES_SUFFIXES = ["_bucket", "_sum", "_count"];

function namesIn(text: string): Set<string> {
  const names = new Set<string>();
  for (const sample of parseSamples(text)) {
    names.add(sample.name);
    for (const suffix of SERIES_SUFFIXES) {
      if (sample.name.endsWith(suffix)) names.add(sample.name.slice(0, -suffix.length));
    }
  }
  return names;
}

export async function exportedMetricNames(t: CleanupContext): Promise<Set<string>> {
  const std = await startStandardServerFor(t, [
    "--metrics-port",
    "0",
    "--deny",
    "127.0.0.77",
    "--rate-limit",
    "1000",
  ]);
  const port = metricsPortOf(await std.server.waitForLine(METRICS_LINE));
  const refused = await connectFrom(t, std.linePort, "127.0.0.77");
  await refused.waitForClose();
  const udp = await udpClientFor(t);
  await udp.send(std.ntpPort, datagram({ version: 2, mode: 6, length: 12 }));
  await udp.request(std.ntpPort, datagram());
  const names = namesIn(await scrape(port));
  const cluster = await startClusterFor(t, 2, ["--metrics-port", "0"]);
  const clusterPort = metricsPortOf(await cluster.waitForLine(METRICS_LINE));
  for (const name of namesIn(await scrape(clusterPort))) names.add(name);
  return names;
}

/** The metric names a PromQL expression reads (identifiers followed by { or [, or standing alone), less functions and keywords. */
export function metricNamesIn(expr: string): string[] {
  const withoutStrings = expr.replace(/"(?:[^"\\]|\\.)*"/g, '""');
  const withoutMatchers = withoutStrings.replace(/\{[^}]*\}/g, "{}").replace(/\[[^\]]*\]/g, "[]");
  const withoutGroupings = withoutMatchers.replace(
    /\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g,
    "",
  );
  const names = new Set<string>();
  for (const match of withoutGroupings.matchAll(/\b([a-zA-Z_:][a-zA-Z0-9_:]*)\b(?!\s*\()/g)) {
    const name = match[1] as string;
    if (
      /^(?:by|without|on|ignoring|offset|bool|and|or|unless|group_left|group_right|inf|nan)$/i.test(
        name,
      )
    )
      continue;
    names.add(name);
  }
  return [...names];
}
