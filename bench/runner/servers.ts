/**
 * Servers under test: start one (pinned with taskset when there is one), wait
 * until it answers TIME, stop it and its whole process group. Every server is
 * its own process group (detached), so a server with worker processes is
 * stopped as one, and a Ctrl-C at the terminal reaches only the runner, which
 * then stops them itself.
 */

import { type ChildProcess, spawn } from "node:child_process";
import dgram from "node:dgram";
import { closeSync, mkdirSync, openSync, readFileSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { groupMembers, sleep } from "./system.js";

export const LOOPBACK = "127.0.0.1";
/** Servers under test listen on ports from here up, one fresh port per start. */
const FIRST_PORT = 21000;
const LAST_PORT = 21999;
const READY_TIMEOUT_MS = 15_000;
const PROBE_TIMEOUT_MS = 1000;
const STOP_GRACE_MS = 3000;
export const LOG_DIR = "/tmp/timeserver-bench";

export interface ServerSpec {
  /** Short name for logs and file names, e.g. "c", "node", "node-info". */
  name: string;
  /**
   * c: the C TCP reference; c-udp: the C UDP reference; naive and naive-udp:
   * the naive Node peers (TCP line protocol; SNTP, RFC 868, daytime over UDP);
   * node: timeserver.
   */
  kind: "c" | "c-udp" | "naive" | "naive-udp" | "node";
  /** Extra flags (timeserver: after --host, --port and --log-level; c-udp: e.g. --mmsg). */
  extraArgs?: readonly string[];
  /** Serve SNTP, RFC 868 and daytime over UDP on ports of their own. */
  udp?: boolean;
  /** How readiness is probed: TIME over TCP (default) or an RFC 868 datagram. */
  ready?: "tcp" | "udp";
  /** C reference: SO_REUSEPORT threads (-t). */
  threads?: number;
  logLevel?: string;
  /** taskset CPU list, e.g. "0" or "0,1"; undefined = not pinned. */
  cpus: string | undefined;
  /** Successful TIME probes in a row before the server counts as ready (workers: more). */
  probes?: number;
  /** Extra flags for node itself, e.g. --cpu-prof. */
  nodeFlags?: readonly string[];
}

/** The ports one server listens on: TCP always, the UDP services when asked for. */
export interface ServerPorts {
  tcp: number;
  ntp: number;
  rfc868: number;
  daytime: number;
}

export interface RunningServer {
  spec: ServerSpec;
  pid: number;
  port: number;
  ports: ServerPorts;
  logFile: string;
  command: string[];
  /** Seconds from spawn until it answered TIME. */
  readySeconds: number;
  exited: boolean;
}

export interface ServerPaths {
  root: string;
  cBinary: string;
  cUdpBinary: string;
  naiveServer: string;
  naiveUdpServer: string;
  nodeServer: string;
  taskset: string | undefined;
}

const live = new Map<number, { server: RunningServer; child: ChildProcess }>();
/** Process groups of every server started in this run, to check none survives. */
const started: number[] = [];
let nextPort = FIRST_PORT;

function takePort(): number {
  const port = nextPort;
  nextPort = nextPort >= LAST_PORT ? FIRST_PORT : nextPort + 1;
  return port;
}

/** Four fresh ports: TCP, then NTP, RFC 868 and daytime (used only by UDP servers). */
export function takePorts(): ServerPorts {
  return { tcp: takePort(), ntp: takePort(), rfc868: takePort(), daytime: takePort() };
}

function udpFlags(ports: ServerPorts): string[] {
  return [
    "--ntp-port",
    String(ports.ntp),
    "--rfc868-port",
    String(ports.rfc868),
    "--daytime-port",
    String(ports.daytime),
    // The load is a few sockets asking as fast as they can: no per-source bound.
    "--udp-greeting-rate",
    "0",
  ];
}

export function serverCommand(spec: ServerSpec, ports: ServerPorts, paths: ServerPaths): string[] {
  const inner = ((): string[] => {
    switch (spec.kind) {
      case "c":
        return [
          paths.cBinary,
          ...(spec.threads === undefined ? [] : ["-t", String(spec.threads)]),
          String(ports.tcp),
        ];
      case "c-udp":
        return [paths.cUdpBinary, ...(spec.extraArgs ?? []), ...udpFlags(ports)];
      case "naive":
        return [process.execPath, paths.naiveServer, String(ports.tcp), LOOPBACK];
      case "naive-udp":
        return [
          process.execPath,
          paths.naiveUdpServer,
          String(ports.ntp),
          String(ports.rfc868),
          String(ports.daytime),
          LOOPBACK,
        ];
      case "node":
        return [
          process.execPath,
          ...(spec.nodeFlags ?? []),
          paths.nodeServer,
          "--host",
          LOOPBACK,
          "--port",
          String(ports.tcp),
          "--log-level",
          spec.logLevel ?? "warn",
          ...(spec.udp === true ? udpFlags(ports) : []),
          ...(spec.extraArgs ?? []),
        ];
    }
  })();
  return spec.cpus !== undefined && paths.taskset !== undefined
    ? [paths.taskset, "-c", spec.cpus, ...inner]
    : inner;
}

export async function startServer(spec: ServerSpec, paths: ServerPaths): Promise<RunningServer> {
  mkdirSync(LOG_DIR, { recursive: true });
  const ports = takePorts();
  const port = ports.tcp;
  const logFile = path.join(LOG_DIR, `${spec.name}.log`);
  const command = serverCommand(spec, ports, paths);
  const fd = openSync(logFile, "w");
  const began = performance.now();
  let child: ChildProcess;
  try {
    child = spawn(command[0] as string, command.slice(1), {
      cwd: paths.root,
      detached: true,
      stdio: ["ignore", fd, fd],
    });
  } finally {
    closeSync(fd);
  }
  const pid = child.pid;
  if (pid === undefined) {
    await new Promise((resolve) => child.once("error", resolve));
    throw new Error(`could not start ${spec.name}: ${command.join(" ")}`);
  }
  started.push(pid);
  const server: RunningServer = {
    spec,
    pid,
    port,
    ports,
    logFile,
    command,
    readySeconds: 0,
    exited: false,
  };
  live.set(pid, { server, child });
  child.once("exit", () => {
    server.exited = true;
    live.delete(pid);
  });
  try {
    await waitReady(server, spec.probes ?? 1);
  } catch (error) {
    await stopServer(server);
    throw error;
  }
  server.readySeconds = (performance.now() - began) / 1000;
  return server;
}

/** Probe until `needed` TIME probes in a row are answered, within a bound. */
async function waitReady(server: RunningServer, needed: number): Promise<void> {
  const deadline = performance.now() + READY_TIMEOUT_MS;
  let good = 0;
  let lastError = "no answer";
  while (performance.now() < deadline) {
    if (server.exited) {
      throw new Error(`${server.spec.name} exited at start: ${logTail(server.logFile)}`);
    }
    try {
      if (server.spec.ready === "udp") await probeUdp(server.ports.rfc868);
      else await probe(server.port);
      good++;
      if (good >= needed) return;
    } catch (error) {
      good = 0;
      lastError = (error as Error).message;
      await sleep(50);
    }
  }
  throw new Error(
    `${server.spec.name} not ready on port ${server.port} after ${READY_TIMEOUT_MS / 1000} s (${lastError}): ${logTail(server.logFile)}`,
  );
}

/** Connect, ask TIME, expect a JAM line, say QUIT. */
function probe(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: LOOPBACK, port });
    let received = "";
    let done = false;
    const finish = (error?: Error) => {
      if (done) return;
      done = true;
      socket.removeAllListeners("data");
      socket.setTimeout(0);
      if (error !== undefined) {
        socket.destroy();
        reject(error);
        return;
      }
      // The server closes after QUIT; do not wait for it.
      socket.on("error", () => {});
      socket.end("QUIT\r\n");
      setTimeout(() => socket.destroy(), PROBE_TIMEOUT_MS).unref();
      resolve();
    };
    socket.setTimeout(PROBE_TIMEOUT_MS, () => finish(new Error("probe timed out")));
    socket.once("error", (error) => finish(error));
    socket.once("connect", () => socket.write("TIME\r\n"));
    socket.on("data", (chunk: Buffer) => {
      received += chunk.toString("latin1");
      if (!received.includes("\n")) return;
      if (/^JAM \d\d:\d\d:\d\d\r\n/.test(received)) finish();
      else finish(new Error(`unexpected probe reply ${JSON.stringify(received)}`));
    });
  });
}

/** Send an empty datagram to the RFC 868 port, expect 4 bytes back. */
function probeUdp(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = dgram.createSocket("udp4");
    const timer = setTimeout(() => finish(new Error("udp probe timed out")), PROBE_TIMEOUT_MS);
    function finish(error?: Error): void {
      clearTimeout(timer);
      socket.close();
      if (error === undefined) resolve();
      else reject(error);
    }
    socket.once("error", (error) => finish(error));
    socket.once("message", (message) =>
      message.length === 4 ? finish() : finish(new Error(`udp probe got ${message.length} bytes`)),
    );
    socket.send(Buffer.alloc(0), port, LOOPBACK);
  });
}

function logTail(file: string): string {
  try {
    const text = readFileSync(file, "utf8").trim();
    return text === "" ? "(no output)" : text.split("\n").slice(-5).join(" | ");
  } catch {
    return "(no log)";
  }
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // Already gone.
  }
}

async function waitGroupGone(pgid: number, ms: number): Promise<boolean> {
  const deadline = performance.now() + ms;
  for (;;) {
    if (groupMembers(pgid).length === 0) return true;
    if (performance.now() >= deadline) return false;
    await sleep(25);
  }
}

/** SIGTERM the server's group, SIGKILL what is left after a grace period. Returns true when it stopped by itself. */
export async function stopServer(server: RunningServer, graceMs = STOP_GRACE_MS): Promise<boolean> {
  signalGroup(server.pid, "SIGTERM");
  if (await waitGroupGone(server.pid, graceMs)) return true;
  signalGroup(server.pid, "SIGKILL");
  await waitGroupGone(server.pid, 2000);
  return false;
}

/** Stop every server still running (on error or interrupt). */
export async function stopAllServers(graceMs = STOP_GRACE_MS): Promise<void> {
  await Promise.all([...live.values()].map(({ server }) => stopServer(server, graceMs)));
}

/** Process ids still alive in any server group started by this run (should be none). */
export function leftoverServerProcesses(): number[] {
  return started.flatMap((pgid) => groupMembers(pgid));
}

/**
 * Last resort: SIGKILL, synchronously, the group of every server whose
 * process has not been reaped yet (so its id cannot belong to anyone else).
 */
export function killAllServersNow(): void {
  for (const pgid of live.keys()) signalGroup(pgid, "SIGKILL");
}

/** SIGKILL single leftover processes found by leftoverServerProcesses(). */
export function killProcesses(pids: readonly number[]): void {
  for (const pid of pids) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // Already gone.
    }
  }
}
