/**
 * What an operator's tools do to the metrics endpoint, for tests: plain HTTP
 * requests (Node's client, no curl), reading samples out of Prometheus text,
 * and `promtool check metrics` on a scrape. Nothing here waits on time.
 */

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import http from "node:http";

export interface HttpReply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** One request on a fresh connection (no keep-alive, so no socket outlives the test). */
export function httpRequest(
  port: number,
  path: string,
  options: { method?: string; host?: string } = {},
): Promise<HttpReply> {
  return new Promise((resolve, reject) => {
    const request = http.request(
      {
        host: options.host ?? "127.0.0.1",
        port,
        path,
        method: options.method ?? "GET",
        agent: false,
      },
      (response) => {
        let body = "";
        response.setEncoding("utf8");
        response.on("data", (chunk: string) => {
          body += chunk;
        });
        response.on("end", () =>
          resolve({ status: response.statusCode ?? 0, headers: response.headers, body }),
        );
        response.on("error", reject);
      },
    );
    request.on("error", reject);
    request.end();
  });
}

/** GET /metrics, which must answer 200 with Prometheus text. */
export async function scrape(port: number): Promise<string> {
  const reply = await httpRequest(port, "/metrics");
  assert.equal(reply.status, 200, reply.body);
  assert.match(String(reply.headers["content-type"]), /^text\/plain; version=0\.0\.4/);
  return reply.body;
}

export type Labels = Record<string, string>;

export interface ScrapedSample {
  name: string;
  labels: Labels;
  value: number;
}

/** Every sample line of a text exposition (comments skipped). */
export function parseSamples(text: string): ScrapedSample[] {
  const samples: ScrapedSample[] = [];
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)(?: \d+)?$/.exec(line);
    assert.ok(match, `not a sample line: ${JSON.stringify(line)}`);
    const labels: Labels = {};
    for (const pair of (match[2] ?? "").matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
      labels[pair[1] as string] = (pair[2] as string).replace(/\\(.)/g, (_, c: string) =>
        c === "n" ? "\n" : c,
      );
    }
    samples.push({ name: match[1] as string, labels, value: Number(match[3]) });
  }
  return samples;
}

/** The value of the one sample of `name` whose labels are exactly `labels`; fails if there is none. */
export function sampleValue(text: string, name: string, labels: Labels = {}): number {
  const wanted = JSON.stringify(Object.entries(labels).sort());
  const found = parseSamples(text).filter(
    (sample) =>
      sample.name === name && JSON.stringify(Object.entries(sample.labels).sort()) === wanted,
  );
  assert.equal(found.length, 1, `expected one sample ${name}${wanted}, found ${found.length}`);
  return (found[0] as ScrapedSample).value;
}

/** The port of the "Metrics on http://host:port/metrics" line (text or JSON logs). */
export const METRICS_LINE = /Metrics on http:\/\/[^\s"]*:(\d+)\/metrics/;

export function metricsPortOf(line: string): number {
  const port = METRICS_LINE.exec(line)?.[1];
  assert.ok(port !== undefined, `no metrics port in ${JSON.stringify(line)}`);
  return Number(port);
}

export interface PromtoolResult {
  code: number | null;
  /** promtool's findings, one a line (it prints lint problems on stderr). */
  problems: string[];
}

/** `promtool check metrics` with `text` on stdin. */
export function promtoolCheckMetrics(text: string): Promise<PromtoolResult> {
  return new Promise((resolve, reject) => {
    const child = spawn("promtool", ["check", "metrics"], { stdio: ["pipe", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.on("error", reject);
    child.on("close", (code) =>
      resolve({ code, problems: output.split("\n").filter((line) => line.trim() !== "") }),
    );
    child.stdin.on("error", () => {});
    child.stdin.end(text);
  });
}
