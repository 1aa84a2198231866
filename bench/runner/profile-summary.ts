/**
 * Top self-time functions of a V8 .cpuprofile (from `node --cpu-prof`),
 * aggregated by function name + script URL:
 *
 *   node dist/bench/runner/profile-summary.js /tmp/prof/CPU.*.cpuprofile [top=20]
 */

import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface SelfTime {
  name: string;
  url: string;
  selfMs: number;
  share: number;
}

export function summarise(profile: CpuProfile, top = 20): { totalMs: number; rows: SelfTime[] } {
  const byId = new Map<number, ProfileNode>(profile.nodes.map((node) => [node.id, node]));
  const selfUs = new Map<string, { name: string; url: string; us: number }>();
  let totalUs = 0;
  // timeDeltas[i] is the time since the previous sample: charge it to sample i.
  profile.samples.forEach((id, index) => {
    const node = byId.get(id);
    const us = Math.max(0, profile.timeDeltas[index] ?? 0);
    totalUs += us;
    if (node === undefined) return;
    const name = node.callFrame.functionName || "(anonymous)";
    const url = node.callFrame.url;
    const key = `${name}\u0000${url}`;
    const entry = selfUs.get(key) ?? { name, url, us: 0 };
    entry.us += us;
    selfUs.set(key, entry);
  });
  const rows = [...selfUs.values()]
    .sort((a, b) => b.us - a.us)
    .slice(0, top)
    .map((entry) => ({
      name: entry.name,
      url: entry.url,
      selfMs: entry.us / 1000,
      share: totalUs > 0 ? entry.us / totalUs : 0,
    }));
  return { totalMs: totalUs / 1000, rows };
}

function shortUrl(url: string): string {
  if (url === "") return "";
  const marker = url.indexOf("/dist/");
  if (marker >= 0) return url.slice(marker + 1);
  const modules = url.indexOf("/node_modules/");
  if (modules >= 0) return url.slice(modules + 1);
  return url;
}

if (
  process.argv[1] !== undefined &&
  path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)
) {
  const [file, topText] = process.argv.slice(2);
  if (file === undefined) {
    process.stderr.write("usage: profile-summary <file.cpuprofile> [top=20]\n");
    process.exit(2);
  }
  const profile = JSON.parse(readFileSync(file, "utf8")) as CpuProfile;
  const { totalMs, rows } = summarise(profile, Number(topText ?? 20));
  const lines = [
    `${path.basename(file)}: ${(totalMs / 1000).toFixed(2)} s sampled`,
    "",
    "| # | Self ms | Self % | Function | Script |",
    "|---|---|---|---|---|",
    ...rows.map(
      (row, index) =>
        `| ${index + 1} | ${row.selfMs.toFixed(0)} | ${(row.share * 100).toFixed(1)}% | ${row.name} | ${shortUrl(row.url)} |`,
    ),
  ];
  process.stdout.write(`${lines.join("\n")}\n`);
}
