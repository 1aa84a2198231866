/**
 * The real `timeserver` under systemd-socket-activate, as systemd would start
 * it: the sockets are bound first, the process inherits them through
 * LISTEN_FDS. One systemd-socket-activate makes either stream or datagram
 * sockets, and passes on the sockets it inherited itself, so a mix is two of
 * them nested: the outer binds the streams, the inner adds the datagrams and
 * names them all. Ports are fixed numbers below 32768 (free on TCP and UDP
 * when picked); a start that loses one is retried on fresh ports.
 */

import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import { createInterface } from "node:readline";
import { pickDualPorts } from "./dual-port.js";
import { SERVER_BIN, ServerProcess } from "./server-process.js";

export const SOCKET_ACTIVATE = "systemd-socket-activate";
export const haveSocketActivate = spawnSync(SOCKET_ACTIVATE, ["--version"]).error === undefined;

export interface ActivatedSocket {
  kind: "stream" | "datagram";
  /** The --fdname; undefined leaves every socket unnamed (no LISTEN_FDNAMES). */
  name?: string;
  /** Shares the port of an earlier entry (daytime TCP and UDP on one number). */
  samePortAs?: number;
}

export interface Activated {
  server: ServerProcess;
  /** Port of each socket, in the order given. */
  ports: number[];
  /** The args systemd-socket-activate ran with, for the notes and for failure messages. */
  command: string[];
}

function addresses(sockets: readonly ActivatedSocket[], ports: number[], kind: string): string[] {
  return sockets.flatMap((socket, index) =>
    socket.kind === kind ? ["-l", `127.0.0.1:${ports[index]}`] : [],
  );
}

function names(sockets: readonly ActivatedSocket[]): string[] {
  return sockets.every((socket) => socket.name === undefined)
    ? []
    : [`--fdname=${sockets.map((socket) => socket.name ?? "unknown").join(":")}`];
}

/** The command line: streams come first (fd 3 on), then datagrams, as systemd orders a unit's Listen lines. */
export function activationCommand(
  sockets: readonly ActivatedSocket[],
  ports: number[],
  serverArgs: string[] = [],
  /** More NAME=value pairs for the server's environment (systemd-socket-activate -E). */
  setenv: readonly string[] = [],
): string[] {
  const streams = sockets.filter((socket) => socket.kind === "stream");
  const datagrams = sockets.filter((socket) => socket.kind === "datagram");
  const server = [
    "-E",
    "TIMESERVER_LOG_LEVEL=info",
    "-E",
    "TIMESERVER_LOCAL=1",
    ...setenv.flatMap((pair) => ["-E", pair]),
    process.execPath,
    SERVER_BIN,
    ...serverArgs,
  ];
  const ordered = [...streams, ...datagrams];
  if (datagrams.length === 0) {
    return [SOCKET_ACTIVATE, ...addresses(sockets, ports, "stream"), ...names(streams), ...server];
  }
  const inner = [
    SOCKET_ACTIVATE,
    "--datagram",
    ...addresses(sockets, ports, "datagram"),
    ...names(ordered),
    ...server,
  ];
  if (streams.length === 0) return inner;
  return [SOCKET_ACTIVATE, ...addresses(sockets, ports, "stream"), ...names(streams), ...inner];
}

/**
 * Start systemd-socket-activate and wait until its sockets are bound (its
 * "Listening on" lines). The server itself starts only when the first
 * connection or datagram arrives: the test's first request wakes it.
 */
export async function socketActivate(
  t: { after(fn: () => unknown): void },
  sockets: readonly ActivatedSocket[],
  serverArgs: string[] = [],
  setenv: readonly string[] = [],
): Promise<Activated> {
  for (let attempt = 0; ; attempt++) {
    const fresh = await pickDualPorts(sockets.length);
    const ports = sockets.map((socket, index) =>
      socket.samePortAs === undefined
        ? (fresh[index] as number)
        : (fresh[socket.samePortAs] as number),
    );
    const command = activationCommand(sockets, ports, serverArgs, setenv);
    const child: ChildProcess = spawn(command[0] as string, command.slice(1), {
      stdio: ["ignore", "pipe", "pipe"],
    });
    const server = new ServerProcess(child);
    // The first (outer) systemd-socket-activate binds its sockets before anything else runs.
    const outer = sockets.some((socket) => socket.kind === "stream")
      ? sockets.filter((socket) => socket.kind === "stream").length
      : sockets.length;
    const bound = await new Promise<boolean>((resolve) => {
      let seen = 0;
      const stderr = createInterface({ input: child.stderr! });
      stderr.on("line", (line) => {
        if (/^Listening on 127\.0\.0\.1:\d+ as \d+\.$/.test(line) && ++seen === outer) {
          stderr.close();
          resolve(true);
        }
      });
      child.once("exit", () => resolve(false));
    });
    if (bound) {
      t.after(() => server.kill());
      return { server, ports, command };
    }
    await server.exited;
    if (!/in use/i.test(server.stderr) || attempt >= 5) {
      throw new Error(`${command.join(" ")} did not start: ${server.stderr}`);
    }
  }
}

export interface HeldSocket {
  fd: number;
  inode: string;
  protocol: "tcp" | "tcp6" | "udp" | "udp6";
  port: number;
}

/**
 * Every listening TCP socket and every UDP socket a process holds, with the
 * fd it holds it on (the same socket held twice shows twice).
 */
export function listeningSocketsOf(pid: number): HeldSocket[] {
  const byInode = new Map<string, { protocol: HeldSocket["protocol"]; port: number }>();
  for (const protocol of ["tcp", "tcp6", "udp", "udp6"] as const) {
    const rows = readFileSync(`/proc/${pid}/net/${protocol}`, "utf8").split("\n").slice(1);
    for (const row of rows) {
      const columns = row.trim().split(/\s+/);
      const local = columns[1];
      const inode = columns[9];
      if (local === undefined || inode === undefined) continue;
      if (protocol.startsWith("tcp") && columns[3] !== "0A") continue;
      byInode.set(inode, { protocol, port: Number.parseInt(local.split(":")[1] ?? "", 16) });
    }
  }
  const held: HeldSocket[] = [];
  for (const entry of readdirSync(`/proc/${pid}/fd`)) {
    let target: string;
    try {
      target = readlinkSync(`/proc/${pid}/fd/${entry}`);
    } catch {
      continue;
    }
    const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
    const found = inode === undefined ? undefined : byInode.get(inode);
    if (found !== undefined) held.push({ fd: Number(entry), inode: inode as string, ...found });
  }
  return held.sort((a, b) => a.fd - b.fd);
}

/** The socket inode behind one fd of a process. */
export function socketInodeOf(pid: number, fd: number): string | undefined {
  return /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`))?.[1];
}

/** sd_listen_fds' first fd. */
export const LISTEN_FDS_FIRST = 3;
