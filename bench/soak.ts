/**
 * `npm run bench:soak`: an hour (SOAK_MINUTES) of mixed, modest load on every
 * protocol of one server, to find memory that grows with time rather than
 * with load. Line clients come and go (~100/s) while 200 others stay and ask
 * once a second; TLS clients come and go (~10/s) and one a second stalls in
 * its handshake (closed by the deadline); SNTP, daytime and RFC 868 get ~100
 * datagrams a second each. Every 10 s the server's RSS (/proc) and V8 heap
 * (its own /metrics) are sampled; after the warm-up (SOAK_WARMUP_MINUTES,
 * default 5) the trend of each is fitted by least squares and reported in
 * MiB per minute, with every wrong or missing reply counted. It stops by
 * itself; it reports figures and never fails on them. Not run in CI.
 */

import { type ChildProcess, spawn } from "node:child_process";
import dgram from "node:dgram";
import { mkdtempSync, readFileSync } from "node:fs";
import http from "node:http";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import tls from "node:tls";
import { fileURLToPath } from "node:url";
import { type Certificate, makeCertificate } from "../test/helpers/tls-files.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const SERVER = path.join(ROOT, "dist", "src", "cli", "timeserver.js");
const MINUTES = Number(process.env.SOAK_MINUTES ?? 60);
const WARMUP_MINUTES = Number(process.env.SOAK_WARMUP_MINUTES ?? Math.min(5, MINUTES / 4));
const SAMPLE_MS = 10_000;
const HELD = 200;
const JAM = /^JAM \d\d:\d\d:\d\d\r\n$/;

const tally = { line: 0, tls: 0, udp: 0, wrong: 0, failed: 0 };

function wait(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

interface Ports {
  line: number;
  tls: number;
  ntp: number;
  daytime: number;
  rfc868: number;
  metrics: number;
}

async function startServer(files: Certificate): Promise<{
  child: ChildProcess;
  ports: Ports;
}> {
  const base = 20000 + Math.floor(Math.random() * 9000);
  const child = spawn(
    process.execPath,
    [
      SERVER,
      "--host",
      "127.0.0.1",
      "--port",
      String(base),
      "--tls-port",
      String(base + 1),
      "--tls-cert",
      files.certFile,
      "--tls-key",
      files.keyFile,
      "--tls-handshake-timeout",
      "2",
      "--ntp-port",
      String(base + 2),
      "--daytime-port",
      String(base + 3),
      "--rfc868-port",
      String(base + 4),
      "--udp-greeting-rate",
      "0",
      "--metrics-port",
      String(base + 5),
      "--log-level",
      "warn",
    ],
    { stdio: ["ignore", "ignore", "inherit"] },
  );
  const ports = {
    line: base,
    tls: base + 1,
    ntp: base + 2,
    daytime: base + 3,
    rfc868: base + 4,
    metrics: base + 5,
  };
  for (let attempt = 0; attempt < 100; attempt++) {
    if ((await scrape(ports.metrics)) !== undefined) return { child, ports };
    await wait(100);
  }
  throw new Error("the server did not start");
}

function scrape(port: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const request = http.get({ host: "127.0.0.1", port, path: "/metrics", agent: false }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => {
        body += chunk;
      });
      res.on("end", () => resolve(body));
    });
    request.on("error", () => resolve(undefined));
  });
}

function lineSession(port: number): void {
  const socket = net.connect(port, "127.0.0.1", () => socket.write("TIME\r\nQUIT\r\n"));
  countSession(socket, "line");
}

function tlsSession(port: number): void {
  const socket = tls.connect({ port, host: "127.0.0.1", rejectUnauthorized: false }, () =>
    socket.write("TIME\r\nQUIT\r\n"),
  );
  countSession(socket, "tls");
}

/** Tally one TIME-then-QUIT session under `kind` when its reply is right. */
function countSession(socket: net.Socket, kind: "line" | "tls"): void {
  let text = "";
  socket.setEncoding("latin1");
  socket.on("data", (chunk: string) => {
    text += chunk;
  });
  socket.on("error", () => tally.failed++);
  socket.on("close", () => {
    if (JAM.test(text)) tally[kind]++;
    else tally.wrong++;
  });
}

/** Half a TLS record header and nothing more: the handshake deadline must close it. */
function stalledHandshake(port: number): void {
  const socket = net.connect(port, "127.0.0.1", () => socket.write(Buffer.from([0x16, 0x03])));
  socket.on("error", () => {});
}

function held(port: number): { socket: net.Socket; ask: () => void } {
  const socket = net.connect(port, "127.0.0.1");
  socket.setEncoding("latin1");
  let pending = "";
  socket.on("data", (chunk: string) => {
    // Replies may arrive two to a read, or split: count whole lines.
    pending += chunk;
    let end = pending.indexOf("\r\n");
    while (end >= 0) {
      if (JAM.test(pending.slice(0, end + 2))) tally.line++;
      else tally.wrong++;
      pending = pending.slice(end + 2);
      end = pending.indexOf("\r\n");
    }
  });
  socket.on("error", () => tally.failed++);
  return { socket, ask: () => socket.write("TIME\r\n") };
}

function ntpRequest(): Buffer {
  const bytes = Buffer.alloc(48);
  bytes[0] = (4 << 3) | 3;
  return bytes;
}

/** Least-squares slope of `values` over `minutes`, per minute. */
function slope(minutes: number[], values: number[]): number {
  const n = minutes.length;
  if (n < 2) return 0;
  const mx = minutes.reduce((a, b) => a + b, 0) / n;
  const my = values.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += ((minutes[i] as number) - mx) * ((values[i] as number) - my);
    den += ((minutes[i] as number) - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

function sampleOf(text: string, name: string): number | undefined {
  const match = new RegExp(`^${name} (\\S+)$`, "m").exec(text);
  return match === null ? undefined : Number(match[1]);
}

async function main(): Promise<void> {
  const files = makeCertificate(mkdtempSync(path.join(tmpdir(), "soak-")), "soak");
  const { child, ports } = await startServer(files);
  const udp = dgram.createSocket("udp4");
  udp.on("message", () => tally.udp++);
  await new Promise<void>((resolve) => udp.bind(0, "127.0.0.1", resolve));
  const stayers = Array.from({ length: HELD }, () => held(ports.line));
  const timers = [
    setInterval(() => lineSession(ports.line), 10),
    setInterval(() => tlsSession(ports.tls), 100),
    setInterval(() => stalledHandshake(ports.tls), 1000),
    setInterval(() => {
      for (const stayer of stayers) stayer.ask();
    }, 1000),
    setInterval(() => {
      udp.send(ntpRequest(), ports.ntp, "127.0.0.1");
      udp.send(Buffer.alloc(0), ports.daytime, "127.0.0.1");
      udp.send(Buffer.alloc(0), ports.rfc868, "127.0.0.1");
    }, 10),
  ];
  const start = performance.now();
  const samples: { minute: number; rssMiB: number; heapMiB: number | undefined }[] = [];
  console.log(`soak: ${MINUTES} min (warm-up ${WARMUP_MINUTES} min), server pid ${child.pid}`);
  while (performance.now() - start < MINUTES * 60_000) {
    await wait(SAMPLE_MS);
    const minute = (performance.now() - start) / 60_000;
    const status = readFileSync(`/proc/${child.pid}/status`, "utf8");
    const rssMiB = Number(/^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1]) / 1024;
    const text = await scrape(ports.metrics);
    const heap = text === undefined ? undefined : sampleOf(text, "nodejs_heap_size_used_bytes");
    const heapMiB = heap === undefined ? undefined : heap / 2 ** 20;
    samples.push({ minute, rssMiB, heapMiB });
    console.log(
      `${minute.toFixed(1)} min: RSS ${rssMiB.toFixed(1)} MiB, heap ${heapMiB?.toFixed(1) ?? "?"} MiB; ` +
        `line ${tally.line}, tls ${tally.tls}, udp ${tally.udp}, wrong ${tally.wrong}, failed ${tally.failed}`,
    );
  }
  for (const timer of timers) clearInterval(timer);
  for (const stayer of stayers) stayer.socket.destroy();
  udp.close();
  child.kill("SIGTERM");
  const after = samples.filter((sample) => sample.minute >= WARMUP_MINUTES);
  const heaps = after.filter((sample) => sample.heapMiB !== undefined);
  const report = {
    minutes: MINUTES,
    warmupMinutes: WARMUP_MINUTES,
    samples: after.length,
    rssMiBPerMinute: slope(
      after.map((sample) => sample.minute),
      after.map((sample) => sample.rssMiB),
    ),
    heapMiBPerMinute: slope(
      heaps.map((sample) => sample.minute),
      heaps.map((sample) => sample.heapMiB as number),
    ),
    rssMiB: {
      min: Math.min(...after.map((sample) => sample.rssMiB)),
      max: Math.max(...after.map((sample) => sample.rssMiB)),
    },
    ...tally,
  };
  console.log(JSON.stringify(report));
}

await main();
