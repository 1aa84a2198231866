/**
 * `npm run bench:accuracy` (and the end of `npm run bench`): how true the
 * SNTP time is, and how many requests a second one core answers, for
 * timeserver (native backend and dgram) beside chronyd (`local stratum 10`,
 * `-x`: it never touches the clock), NTPsec's ntpd (unsynchronised: LI 3)
 * and the C reference (per datagram and recvmmsg).
 *
 * Accuracy: bench/accuracy/probe asks each server 300 times, 5 ms apart, from
 * the same machine (the true offset is 0), idle and while 100 closed-loop
 * clients saturate timeserver's line protocol, and prints |offset| p50/p99
 * with T4 read after recv (what any client sees, the probe's own scheduling
 * included) and with the kernel's receive stamp of the reply (the server's
 * error alone).
 *
 * Throughput: bench/c-loadgen (udp-sntp, udp-rfc868) against each server
 * pinned to one core, the generator on the others.
 *
 * NTPsec: `bash bench/accuracy/get-ntpsec.sh` unpacks Debian's ntpsec (which
 * conflicts with chrony's package) under bench/accuracy/ntpsec/. It binds port
 * 123 and, even with `disable ntp` and `disable kernel`, rewrites the kernel's
 * clock state at start (ntp_adjtime); the runner saves that state with
 * NTPsec's ntptime before and puts it back after. Skipped when absent, when
 * port 123 is taken, or when not root.
 *
 * Writes bench/results/accuracy.md and accuracy.json and prints the Markdown.
 */

import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import dgram from "node:dgram";
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
const HERE = path.join(ROOT, "bench", "accuracy");
const PROBE = path.join(HERE, "probe");
const LOADGEN = path.join(ROOT, "bench", "c-loadgen", "loadgen");
const UDP_C = path.join(ROOT, "bench", "c-reference", "udpserver-c");
const SERVER = path.join(ROOT, "dist", "src", "cli", "timeserver.js");
const NTPSEC = path.join(HERE, "ntpsec", "usr", "sbin");

const PROBE_REQUESTS = 300;
const PROBE_INTERVAL_US = 5000;
const LINE_CLIENTS = 100;
const THROUGHPUT_SECONDS = 5;

function say(message: string): void {
  process.stderr.write(`${message}\n`);
}

function which(name: string): string | undefined {
  const found = spawnSync("sh", ["-c", `command -v ${name}`], { encoding: "utf8" });
  return found.status === 0 ? found.stdout.trim() : undefined;
}

const TASKSET = which("taskset");
const CPUS = availableParallelism();
/** The server under test on the last core, generators and probe on the others. */
const SERVER_CPU = CPUS >= 2 ? String(CPUS - 1) : undefined;
const CLIENT_CPUS = CPUS >= 2 ? `0-${CPUS - 2}` : undefined;

function pinned(cpus: string | undefined, command: string[]): string[] {
  return cpus !== undefined && TASKSET !== undefined ? [TASKSET, "-c", cpus, ...command] : command;
}

/** A UDP port below the ephemeral range that is free now. */
async function freePort(): Promise<number> {
  for (;;) {
    const port = 20000 + Math.floor(Math.random() * 10000);
    const free = await new Promise<boolean>((resolve) => {
      const socket = dgram.createSocket("udp4");
      socket.once("error", () => resolve(false));
      socket.bind(port, "127.0.0.1", () => socket.close(() => resolve(true)));
    });
    if (free) return port;
  }
}

interface Running {
  name: string;
  child: ChildProcess;
  ntpPort: number;
  rfc868Port?: number;
  linePort?: number;
}

const children: ChildProcess[] = [];

/** A server, pinned to the server's CPU unless `pin` is false (free to run anywhere). */
function start(command: string[], pin = true): ChildProcess {
  const full = pinned(pin ? SERVER_CPU : undefined, command);
  const child = spawn(full[0] as string, full.slice(1), { stdio: ["ignore", "pipe", "pipe"] });
  children.push(child);
  child.on("error", () => {});
  return child;
}

function waitForOutput(
  child: ChildProcess,
  pattern: RegExp,
  ms = 10_000,
): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    let text = "";
    const timer = setTimeout(() => reject(new Error(`no ${pattern} in: ${text}`)), ms);
    const look = (chunk: Buffer) => {
      text += chunk.toString();
      const match = pattern.exec(text);
      if (match !== null) {
        clearTimeout(timer);
        resolve(match);
      }
    };
    child.stdout?.on("data", look);
    child.stderr?.on("data", look);
    child.once("exit", () => reject(new Error(`exited: ${text}`)));
  });
}

/** Resolves once an SNTP request to `port` is answered (the server is up). */
async function answers(port: number): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const result = spawnSync(PROBE, ["-p", String(port), "-n", "1", "-t", "100"], {
      encoding: "utf8",
    });
    if (result.status === 0) return;
  }
  throw new Error(`nothing answers SNTP on port ${port}`);
}

/**
 * A timeserver; `thread` is its --udp-thread; pinned to the server's CPU, or
 * not: anywhere, as a default install runs, where `auto` gives it the thread
 * when it sees two CPUs. The UDP greeting rate is off: the loadgen's few
 * sockets ask as fast as they can.
 */
async function startTimeserver(
  backend: "native" | "dgram",
  logLevel: "info" | "warn",
  thread: "auto" | "on" | "off" = "off",
  pin = true,
): Promise<Running> {
  const ntpPort = await freePort();
  const rfc868Port = await freePort();
  const child = start(
    [
      process.execPath,
      SERVER,
      "--host",
      "127.0.0.1",
      "--port",
      "0",
      "--ntp-port",
      String(ntpPort),
      "--rfc868-port",
      String(rfc868Port),
      "--local",
      "--udp-backend",
      backend,
      "--log-level",
      logLevel,
      "--udp-thread",
      thread,
      "--udp-greeting-rate",
      "0",
    ],
    pin,
  );
  const match = await waitForOutput(child, /Listening on 127\.0\.0\.1:(\d+)\n/);
  await answers(ntpPort);
  const where = pin ? "" : ", unpinned";
  return {
    name: `timeserver (${backend}${thread === "off" ? "" : `, --udp-thread ${thread}`}${where})`,
    child,
    ntpPort,
    rfc868Port,
    linePort: Number(match[1]),
  };
}

async function startChronyd(dir: string): Promise<Running | undefined> {
  const chronyd = existsSync("/usr/sbin/chronyd") ? "/usr/sbin/chronyd" : which("chronyd");
  if (chronyd === undefined) return undefined;
  const ntpPort = await freePort();
  const conf = path.join(dir, "chrony.conf");
  writeFileSync(
    conf,
    [
      "local stratum 10",
      "allow 127.0.0.1",
      `port ${ntpPort}`,
      "cmdport 0",
      "bindaddress 127.0.0.1",
      `pidfile ${path.join(dir, "chronyd.pid")}`,
      "",
    ].join("\n"),
  );
  const root = process.getuid?.() === 0;
  const child = start([chronyd, "-x", "-d", ...(root ? ["-u", "root"] : []), "-f", conf]);
  await answers(ntpPort);
  return { name: "chronyd (local stratum 10, -x)", child, ntpPort };
}

function ntptime(args: string[]): string | undefined {
  const result = spawnSync(path.join(NTPSEC, "ntptime"), args, { encoding: "utf8" });
  return result.status === 0 ? result.stdout : undefined;
}

/** status, maxerror, esterror, time constant and frequency, to put back after ntpd. */
interface KernelClock {
  status: number;
  maxerror: number;
  esterror: number;
  constant: number;
  frequency: number;
}

function saveKernelClock(): KernelClock | undefined {
  const text = ntptime(["-j"]);
  if (text === undefined) return undefined;
  try {
    // Flat JSON; "status" is text such as "0x40 (UNSYNC)".
    const json = JSON.parse(text) as Record<string, string | number>;
    return {
      status: Number.parseInt(String(json.status ?? "0x40"), 16),
      maxerror: Number(json["maximum-error"] ?? 16_000_000),
      esterror: Number(json["estimated-error"] ?? 16_000_000),
      constant: Number(json["time-constant"] ?? 2),
      frequency: Number(json.frequency ?? 0),
    };
  } catch {
    return undefined;
  }
}

function restoreKernelClock(saved: KernelClock): void {
  ntptime([
    "-s",
    String(saved.status),
    "-m",
    String(saved.maxerror),
    "-e",
    String(saved.esterror),
    "-t",
    String(Math.max(0, Math.min(6, saved.constant))),
    "-f",
    String(saved.frequency),
  ]);
}

let savedClock: KernelClock | undefined;

async function startNtpd(dir: string): Promise<Running | string> {
  const ntpd = path.join(NTPSEC, "ntpd");
  if (!existsSync(ntpd)) return "not unpacked (bash bench/accuracy/get-ntpsec.sh)";
  if (process.getuid?.() !== 0) return "needs root (port 123)";
  const taken = await new Promise<boolean>((resolve) => {
    const socket = dgram.createSocket("udp4");
    socket.once("error", () => resolve(true));
    socket.bind(123, "127.0.0.1", () => socket.close(() => resolve(false)));
  });
  if (taken) return "port 123 is taken";
  savedClock = saveKernelClock();
  if (savedClock === undefined) return "ntptime cannot read the kernel clock to restore it after";
  const conf = path.join(dir, "ntp.conf");
  writeFileSync(
    conf,
    [
      "interface ignore wildcard",
      "interface listen 127.0.0.1",
      "restrict default",
      "restrict 127.0.0.1",
      "discard average 0 minimum 0",
      "disable ntp",
      "disable kernel",
      `driftfile ${path.join(dir, "ntp.drift")}`,
      "",
    ].join("\n"),
  );
  const child = start([ntpd, "-n", "-c", conf, "-l", path.join(dir, "ntpd.log")]);
  await answers(123);
  return { name: "NTPsec ntpd (unsynchronised)", child, ntpPort: 123 };
}

async function startUdpC(mmsg: boolean): Promise<Running> {
  const ntpPort = await freePort();
  const rfc868Port = await freePort();
  const child = start([
    UDP_C,
    ...(mmsg ? ["--mmsg"] : []),
    "--ntp-port",
    String(ntpPort),
    "--rfc868-port",
    String(rfc868Port),
  ]);
  await answers(ntpPort);
  return { name: `C reference${mmsg ? " (recvmmsg)" : ""}`, child, ntpPort, rfc868Port };
}

function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once("exit", () => resolve());
    child.kill("SIGTERM");
  });
}

interface ProbeResult {
  answered: number;
  lost: number;
  offset_p50_us: number;
  offset_p99_us: number;
  koffset_p50_us: number;
  koffset_p99_us: number;
  delay_p50_us: number;
  delay_p99_us: number;
  leap: number;
  stratum: number;
}

function runProbe(port: number): Promise<ProbeResult> {
  const command = pinned(CLIENT_CPUS, [
    PROBE,
    "-p",
    String(port),
    "-n",
    String(PROBE_REQUESTS),
    "-i",
    String(PROBE_INTERVAL_US),
    "-t",
    "500",
  ]);
  return new Promise((resolve, reject) => {
    const child = spawn(command[0] as string, command.slice(1), {
      stdio: ["ignore", "pipe", "inherit"],
    });
    let text = "";
    child.stdout.on("data", (chunk: Buffer) => {
      text += chunk.toString();
    });
    child.on("close", () => {
      try {
        resolve(JSON.parse(text) as ProbeResult);
      } catch {
        reject(new Error(`probe printed ${JSON.stringify(text)}`));
      }
    });
  });
}

interface LoadResult {
  rps: number;
  lost: number;
}

function runLoadgen(args: string[]): { child: ChildProcess; result: Promise<LoadResult> } {
  const command = pinned(CLIENT_CPUS, [LOADGEN, "-h", "127.0.0.1", ...args]);
  const child = spawn(command[0] as string, command.slice(1), {
    stdio: ["ignore", "pipe", "inherit"],
  });
  let text = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    text += chunk.toString();
  });
  const result = new Promise<LoadResult>((resolve) => {
    child.on("close", () => {
      try {
        resolve(JSON.parse(text) as LoadResult);
      } catch {
        resolve({ rps: Number.NaN, lost: Number.NaN });
      }
    });
  });
  return { child, result };
}

interface AccuracyRow {
  server: string;
  state: "idle" | "line protocol saturated";
  probe: ProbeResult;
  lineRps?: number;
}

interface ThroughputRow {
  server: string;
  workload: "udp-sntp" | "udp-rfc868";
  rps: number;
  lost: number;
}

function us(value: number): string {
  return Number.isFinite(value) ? value.toFixed(1) : "–";
}

function render(accuracy: AccuracyRow[], throughput: ThroughputRow[], notes: string[]): string {
  const lines = [
    "# SNTP accuracy and UDP throughput",
    "",
    `Machine: ${CPUS} CPUs; servers pinned to CPU ${SERVER_CPU ?? "(unpinned)"} (the rows that say unpinned: free to use every CPU), probe and generators on ${CLIENT_CPUS ?? "(unpinned)"}. ${new Date().toISOString()}.`,
    "",
    `## |offset| from ${PROBE_REQUESTS} SNTP requests ${PROBE_INTERVAL_US / 1000} ms apart (µs; timeserver at --log-level info)`,
    "",
    "`client T4`: T4 read after recv, as a client sees it (the probe's own wait for a CPU included); `kernel T4`: the reply's kernel receive stamp (the server's error alone). Loaded: " +
      `${LINE_CLIENTS} closed-loop clients on timeserver's line protocol (each timeserver's own for its rows, the native build's for chronyd's and ntpd's).`,
    "",
    "| server | state | client T4 p50 | client T4 p99 | kernel T4 p50 | kernel T4 p99 | delay p50 | delay p99 | LI / stratum | lost |",
    "|---|---|---:|---:|---:|---:|---:|---:|---|---:|",
  ];
  for (const row of accuracy) {
    const p = row.probe;
    lines.push(
      `| ${row.server} | ${row.state}${row.lineRps === undefined ? "" : ` (${Math.round(row.lineRps).toLocaleString("en")} line req/s)`} | ${us(p.offset_p50_us)} | ${us(p.offset_p99_us)} | ${us(p.koffset_p50_us)} | ${us(p.koffset_p99_us)} | ${us(p.delay_p50_us)} | ${us(p.delay_p99_us)} | ${p.leap} / ${p.stratum} | ${p.lost} |`,
    );
  }
  lines.push(
    "",
    `## UDP throughput, server on one core (${THROUGHPUT_SECONDS} s, loadgen 16 sockets × 16 in flight; timeserver at --log-level warn)`,
    "",
    "| server | SNTP req/s | RFC 868 req/s |",
    "|---|---:|---:|",
  );
  const servers = [...new Set(throughput.map((row) => row.server))];
  for (const server of servers) {
    const cell = (workload: string) => {
      const row = throughput.find((r) => r.server === server && r.workload === workload);
      return row === undefined ? "–" : Math.round(row.rps).toLocaleString("en");
    };
    lines.push(`| ${server} | ${cell("udp-sntp")} | ${cell("udp-rfc868")} |`);
  }
  if (notes.length > 0) lines.push("", ...notes.map((note) => `- ${note}`));
  return `${lines.join("\n")}\n`;
}

async function main(): Promise<void> {
  for (const [file, hint] of [
    [PROBE, "bash bench/c-reference/build.sh"],
    [LOADGEN, "bash bench/c-reference/build.sh"],
    [SERVER, "npm run build"],
  ] as const) {
    if (!existsSync(file)) throw new Error(`${file} is missing: ${hint}`);
  }
  const dir = mkdtempSync(path.join(tmpdir(), "timeserver-accuracy-"));
  const notes: string[] = [];
  const native = await startTimeserver("native", "info").catch((error: Error) => {
    notes.push(`timeserver (native) did not start: ${error.message.split("\n")[0]}`);
    return undefined;
  });
  const fallback = await startTimeserver("dgram", "info");
  const threaded = await startTimeserver("native", "info", "on").catch((error: Error) => {
    notes.push(
      `timeserver (native, --udp-thread on) did not start: ${error.message.split("\n")[0]}`,
    );
    return undefined;
  });
  // As installed: free to use every CPU, the default (auto: a thread when it
  // sees two) beside --udp-thread off, to show what the thread is for.
  const unpinned =
    SERVER_CPU === undefined
      ? []
      : await Promise.all(
          (["auto", "off"] as const).map((thread) =>
            startTimeserver("native", "info", thread, false).catch((error: Error) => {
              notes.push(
                `timeserver (native, --udp-thread ${thread}, unpinned) did not start: ${error.message.split("\n")[0]}`,
              );
              return undefined;
            }),
          ),
        );
  const chronyd = await startChronyd(dir).catch((error: Error) => {
    notes.push(`chronyd did not start: ${error.message.split("\n")[0]}`);
    return undefined;
  });
  const ntpd = await startNtpd(dir).catch((error: Error) => `did not start: ${error.message}`);
  if (typeof ntpd === "string") notes.push(`NTPsec ntpd skipped: ${ntpd}`);
  const ntpServers = [
    native,
    threaded,
    ...unpinned,
    fallback,
    chronyd,
    typeof ntpd === "string" ? undefined : ntpd,
  ].filter((server): server is Running => server !== undefined);

  const accuracy: AccuracyRow[] = [];
  for (const state of ["idle", "line protocol saturated"] as const) {
    for (const server of ntpServers) {
      say(`accuracy: ${server.name}, ${state}`);
      const loaded = (server.linePort === undefined ? (native ?? fallback) : server).linePort;
      const load =
        state === "idle"
          ? undefined
          : runLoadgen([
              "-m",
              "rr",
              "-p",
              String(loaded),
              "-c",
              String(LINE_CLIENTS),
              "-d",
              "4",
              "-w",
              "0",
            ]);
      if (load !== undefined) await new Promise((resolve) => setTimeout(resolve, 500));
      const probe = await runProbe(server.ntpPort);
      const lineRps = load === undefined ? undefined : (await load.result).rps;
      accuracy.push({
        server: server.name,
        state,
        probe,
        ...(lineRps === undefined ? {} : { lineRps }),
      });
    }
  }
  if (typeof ntpd !== "string" && ntpd !== undefined) {
    await stop(ntpd.child);
    if (savedClock !== undefined) restoreKernelClock(savedClock);
  }

  // Throughput with the log at warn, as chronyd logs nothing per request; fresh timeservers.
  await Promise.all(
    [native, threaded, ...unpinned, fallback].map((server) => server && stop(server.child)),
  );
  const throughput: ThroughputRow[] = [];
  const cRefs = [await startUdpC(false), await startUdpC(true)];
  const quiet = [await startTimeserver("native", "warn"), await startTimeserver("dgram", "warn")];
  const udpServers = [...cRefs, ...quiet, ...(chronyd === undefined ? [] : [chronyd])];
  for (const server of udpServers) {
    for (const workload of ["udp-sntp", "udp-rfc868"] as const) {
      const port = workload === "udp-sntp" ? server.ntpPort : server.rfc868Port;
      if (port === undefined) continue;
      say(`throughput: ${server.name}, ${workload}`);
      const { result } = runLoadgen([
        "-m",
        workload,
        "-p",
        String(port),
        "-c",
        "16",
        "-P",
        "16",
        "-d",
        String(THROUGHPUT_SECONDS),
        "-w",
        "1",
      ]);
      const figures = await result;
      throughput.push({ server: server.name, workload, rps: figures.rps, lost: figures.lost });
    }
  }
  await Promise.all(children.map(stop));

  const markdown = render(accuracy, throughput, notes);
  const results = path.join(ROOT, "bench", "results");
  mkdirSync(results, { recursive: true });
  writeFileSync(path.join(results, "accuracy.md"), markdown);
  writeFileSync(
    path.join(results, "accuracy.json"),
    `${JSON.stringify({ cpus: CPUS, accuracy, throughput, notes }, null, 2)}\n`,
  );
  process.stdout.write(markdown);
}

function cleanUp(): void {
  for (const child of children) if (child.exitCode === null) child.kill("SIGKILL");
  if (savedClock !== undefined) restoreKernelClock(savedClock);
}

process.once("SIGINT", () => {
  cleanUp();
  process.exit(130);
});

main().catch((error: Error) => {
  cleanUp();
  say(`accuracy bench: ${error.message}`);
  process.exitCode = 1;
});
