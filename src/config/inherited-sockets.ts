/**
 * Finds the listening sockets systemd (or systemd-socket-activate) handed this
 * process, with sd_listen_fds(unset=1) semantics: they are ours only when
 * LISTEN_PID is our pid; fds 3..3+LISTEN_FDS-1 in order; LISTEN_FDNAMES names
 * them. Discovery only: nothing here listens, binds or closes a socket.
 *
 * Node has no getsockopt(SO_TYPE), so the kind of each fd comes from Linux's
 * own tables: /proc/self/fd/N reads `socket:[inode]`, and that inode appears in
 * /proc/net/tcp{,6} (stream) or /proc/net/udp{,6} (datagram) with its bound
 * address. The parsing is pure; the few file reads sit behind `SocketProbe`.
 */

import { readFileSync, readlinkSync } from "node:fs";
import { SocketAddress } from "node:net";
import { endianness } from "node:os";
import { TimeServerError } from "../errors.js";

/** sd_listen_fds' SD_LISTEN_FDS_START: the first inherited fd, after stdin/stdout/stderr. */
export const LISTEN_FDS_START = 3;

/** The services a socket can be handed to, by the name its unit gives it (FileDescriptorName=). */
export type InheritedSocketName =
  | "line"
  | "daytime"
  | "rfc868"
  | "ntp"
  | "tls"
  | "nts-ke"
  | "metrics";

export type SocketKind = "stream" | "datagram";

export interface InheritedSocket {
  fd: number;
  name: InheritedSocketName;
  kind: SocketKind;
  /** Bound address as found in /proc/net ("127.0.0.1", "::"), for logs and for udp4 vs udp6. */
  address?: string;
  port?: number;
  family?: 4 | 6;
}

/** One fd as the environment announces it, before anything is known about the socket. */
export interface AnnouncedFd {
  fd: number;
  /** The raw LISTEN_FDNAMES entry; "" when the variable is absent. */
  fdName: string;
}

/** One row of /proc/net/{tcp,tcp6,udp,udp6}. */
export interface ProcNetEntry {
  inode: string;
  address: string;
  port: number;
  /** The kernel's TCP state number: 0x0A is LISTEN. UDP rows carry 0x07 (unconnected). */
  state: number;
}

export type ProcNetTable = "tcp" | "tcp6" | "udp" | "udp6";

/** The file reads, replaceable in tests. */
export interface SocketProbe {
  /** What /proc/self/fd/N links to (`socket:[12345]`), or undefined if fd N is not open. */
  fdLink(fd: number): string | undefined;
  /** The text of /proc/net/<table>, or "" when the table does not exist (no IPv6). */
  procNetTable(table: ProcNetTable): string;
}

const TCP_LISTEN = 0x0a;

const SERVICES: Record<InheritedSocketName, readonly SocketKind[]> = {
  line: ["stream"],
  daytime: ["stream", "datagram"],
  rfc868: ["stream", "datagram"],
  ntp: ["datagram"],
  tls: ["stream"],
  metrics: ["stream"],
  "nts-ke": ["stream"],
};

const SERVICE_NAMES = Object.keys(SERVICES) as InheritedSocketName[];

function configError(message: string): TimeServerError {
  return new TimeServerError("TS_ERR_CONFIG", message);
}

function isServiceName(name: string): name is InheritedSocketName {
  return Object.hasOwn(SERVICES, name);
}

/**
 * The fds the environment hands to process `pid`, or [] when none are ours
 * (no LISTEN_PID, or another process's: a parent that forgot to unset them).
 */
export function announcedFds(env: NodeJS.ProcessEnv, pid: number): AnnouncedFd[] {
  const listenPid = env.LISTEN_PID;
  if (listenPid === undefined || listenPid === "") return [];
  if (!/^[0-9]+$/.test(listenPid)) {
    throw configError(`invalid LISTEN_PID "${listenPid}": must be a process id`);
  }
  if (Number(listenPid) !== pid) return [];
  const listenFds = env.LISTEN_FDS;
  if (listenFds === undefined || listenFds === "") return [];
  if (!/^[0-9]+$/.test(listenFds) || Number(listenFds) < 1 || Number(listenFds) > 1000) {
    throw configError(`invalid LISTEN_FDS "${listenFds}": must be a count of sockets from 1`);
  }
  const count = Number(listenFds);
  const names = env.LISTEN_FDNAMES === undefined ? undefined : env.LISTEN_FDNAMES.split(":");
  if (names !== undefined && names.length !== count) {
    throw configError(
      `LISTEN_FDNAMES "${env.LISTEN_FDNAMES}" names ${names.length} sockets but LISTEN_FDS is ${count}`,
    );
  }
  return Array.from({ length: count }, (_, index) => ({
    fd: LISTEN_FDS_START + index,
    fdName: names?.[index] ?? "",
  }));
}

/**
 * The service an fd name selects. Unnamed sockets serve the line protocol:
 * "" (no LISTEN_FDNAMES, as systemd-socket-activate without --fdname),
 * "unknown" (what sd_listen_fds_with_names reports then), and a unit's default
 * name when FileDescriptorName= is unset ("timeserver.socket"); a unit named
 * "timeserver-daytime.socket" selects daytime the same way.
 */
export function serviceForFdName(fdName: string): InheritedSocketName {
  if (fdName === "" || fdName === "unknown") return "line";
  if (isServiceName(fdName)) return fdName;
  const unit = /^(.*)\.socket$/.exec(fdName)?.[1];
  if (unit === "timeserver") return "line";
  const suffix = unit?.startsWith("timeserver-") ? unit.slice("timeserver-".length) : undefined;
  if (suffix !== undefined && isServiceName(suffix)) return suffix;
  throw configError(
    `inherited socket named "${fdName}" is not one timeserver serves: ` +
      `set FileDescriptorName= to one of ${SERVICE_NAMES.join(", ")}`,
  );
}

/** The inode in a /proc/self/fd link (`socket:[12345]` → "12345"), or undefined for non-sockets. */
export function socketInode(link: string): string | undefined {
  return /^socket:\[([0-9]+)\]$/.exec(link)?.[1];
}

/**
 * Decodes one /proc/net address: IPv4 is one 32-bit word and IPv6 four, each
 * printed as a host-order integer, so on little-endian machines each word's
 * bytes come out reversed.
 */
export function decodeProcNetAddress(hex: string, hostEndianness: "LE" | "BE" = "LE"): string {
  if (!/^([0-9A-Fa-f]{8}){1,4}$/.test(hex) || (hex.length !== 8 && hex.length !== 32)) {
    throw new Error(`not a /proc/net address: "${hex}"`);
  }
  const bytes = Buffer.from(hex, "hex");
  if (hostEndianness === "LE") {
    for (let word = 0; word < bytes.length; word += 4) bytes.subarray(word, word + 4).reverse();
  }
  if (bytes.length === 4) return bytes.join(".");
  // Node's own rendering (RFC 5952, ::ffff:a.b.c.d), so logs match what server.address() says.
  return new SocketAddress({ address: ipv6Groups(bytes), family: "ipv6" }).address;
}

function ipv6Groups(bytes: Buffer): string {
  const groups: string[] = [];
  for (let offset = 0; offset < 16; offset += 2)
    groups.push(bytes.readUInt16BE(offset).toString(16));
  return groups.join(":");
}

/** The rows of one /proc/net/{tcp,tcp6,udp,udp6} text; the header and malformed lines are skipped. */
export function parseProcNetTable(
  text: string,
  hostEndianness: "LE" | "BE" = "LE",
): ProcNetEntry[] {
  const entries: ProcNetEntry[] = [];
  for (const line of text.split("\n")) {
    // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode ...
    const fields = line.trim().split(/\s+/);
    const local = fields[1]?.split(":");
    const state = fields[3];
    const inode = fields[9];
    if (fields[0]?.endsWith(":") !== true || local?.length !== 2 || !state || !inode) continue;
    if (!/^[0-9A-Fa-f]{1,4}$/.test(local[1] ?? "") || !/^[0-9A-Fa-f]{2}$/.test(state)) continue;
    if (!/^[0-9]+$/.test(inode)) continue;
    let address: string;
    try {
      address = decodeProcNetAddress(local[0] ?? "", hostEndianness);
    } catch {
      continue;
    }
    entries.push({
      inode,
      address,
      port: Number.parseInt(local[1] ?? "", 16),
      state: Number.parseInt(state, 16),
    });
  }
  return entries;
}

const TABLES: readonly { table: ProcNetTable; kind: SocketKind; family: 4 | 6 }[] = [
  { table: "tcp", kind: "stream", family: 4 },
  { table: "tcp6", kind: "stream", family: 6 },
  { table: "udp", kind: "datagram", family: 4 },
  { table: "udp6", kind: "datagram", family: 6 },
];

/** /proc as Linux has it; the tables are those of this process's network namespace. */
export const procSocketProbe: SocketProbe = {
  fdLink(fd) {
    try {
      return readlinkSync(`/proc/self/fd/${fd}`);
    } catch {
      return undefined;
    }
  },
  procNetTable(table) {
    try {
      return readFileSync(`/proc/self/net/${table}`, "latin1");
    } catch {
      return "";
    }
  },
};

/**
 * The sockets handed to process `pid`, named and typed; [] when none are. The
 * LISTEN_* variables are removed from `env` whatever the outcome, so children
 * (`--workers`, anything spawned) never mistake them for their own.
 */
export function inheritedSockets(
  env: NodeJS.ProcessEnv,
  pid: number,
  probe: SocketProbe = procSocketProbe,
  hostEndianness: "LE" | "BE" = endianness(),
): InheritedSocket[] {
  try {
    const announced = announcedFds(env, pid);
    if (announced.length === 0) return [];
    const tables = new Map<ProcNetTable, ProcNetEntry[]>();
    const rows = (table: ProcNetTable): ProcNetEntry[] => {
      let parsed = tables.get(table);
      if (parsed === undefined) {
        parsed = parseProcNetTable(probe.procNetTable(table), hostEndianness);
        tables.set(table, parsed);
      }
      return parsed;
    };
    return announced.map(({ fd, fdName }) => describeFd(fd, serviceForFdName(fdName), probe, rows));
  } finally {
    delete env.LISTEN_PID;
    delete env.LISTEN_FDS;
    delete env.LISTEN_FDNAMES;
  }
}

function describeFd(
  fd: number,
  name: InheritedSocketName,
  probe: SocketProbe,
  rows: (table: ProcNetTable) => ProcNetEntry[],
): InheritedSocket {
  const link = probe.fdLink(fd);
  if (link === undefined) throw configError(`inherited fd ${fd} (${name}) is not open`);
  const inode = socketInode(link);
  if (inode === undefined) {
    throw configError(`inherited fd ${fd} (${name}) is not a socket (it is ${link})`);
  }
  for (const { table, kind, family } of TABLES) {
    const entry = rows(table).find((row) => row.inode === inode);
    if (entry === undefined) continue;
    if (kind === "stream" && entry.state !== TCP_LISTEN) {
      throw configError(
        `inherited fd ${fd} (${name}) is a connected TCP socket, not a listening one: ` +
          "use Accept=no in the socket unit",
      );
    }
    if (!SERVICES[name].includes(kind)) {
      const wanted = SERVICES[name].includes("stream") ? "ListenStream=" : "ListenDatagram=";
      throw configError(
        `inherited fd ${fd} (${name}) is a ${kind === "stream" ? "TCP" : "UDP"} socket, ` +
          `but ${name} is served over ${SERVICES[name].includes("stream") ? "TCP" : "UDP"} only: use ${wanted}`,
      );
    }
    return { fd, name, kind, address: entry.address, port: entry.port, family };
  }
  throw configError(
    `inherited fd ${fd} (${name}) is not a TCP or UDP socket (a Unix socket or another namespace's)`,
  );
}
