/**
 * Which processes hold a listening TCP socket on a port, from /proc (Linux):
 * /proc/net/tcp{,6} name the socket's inode, and /proc/<pid>/fd links name
 * the inodes each process holds. Answers "who listens here" without trusting
 * any process's own log.
 */

import { readdirSync, readFileSync, readlinkSync } from "node:fs";

const TCP_LISTEN = "0A";

/** Inodes of listening TCP sockets bound to `port` (any address, IPv4 or IPv6). */
function listeningInodes(port: number): Set<string> {
  const inodes = new Set<string>();
  for (const table of ["tcp", "tcp6"]) {
    let text = "";
    try {
      text = readFileSync(`/proc/net/${table}`, "utf8");
    } catch {
      continue;
    }
    for (const row of text.split("\n").slice(1)) {
      const columns = row.trim().split(/\s+/);
      const local = columns[1];
      if (local === undefined || columns[3] !== TCP_LISTEN || columns[9] === undefined) continue;
      if (Number.parseInt(local.slice(local.lastIndexOf(":") + 1), 16) === port) {
        inodes.add(columns[9]);
      }
    }
  }
  return inodes;
}

/** Every pid holding a descriptor of a socket listening on TCP `port`, ascending. */
export function pidsListeningOn(port: number): number[] {
  const inodes = listeningInodes(port);
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${entry}/fd`);
    } catch {
      continue; // gone, or not ours to look at
    }
    for (const fd of fds) {
      let target: string;
      try {
        target = readlinkSync(`/proc/${entry}/fd/${fd}`);
      } catch {
        continue;
      }
      const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
      if (inode !== undefined && inodes.has(inode)) {
        pids.push(Number(entry));
        break;
      }
    }
  }
  return pids.sort((a, b) => a - b);
}
