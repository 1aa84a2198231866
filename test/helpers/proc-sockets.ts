/**
 * The TCP and UDP sockets a process holds, read from /proc (Linux): its
 * descriptors name socket inodes, and /proc/<pid>/net/{tcp,tcp6,udp,udp6}
 * say which of those inodes are internet sockets, on which local port and in
 * which state. Unix sockets (a child's stdio pipes) are not in those tables.
 */

import { readdirSync, readFileSync, readlinkSync } from "node:fs";

export interface InetSocket {
  protocol: "tcp" | "tcp6" | "udp" | "udp6";
  localPort: number;
  /** The kernel's state code: 0A is a listening TCP socket, 07 an unconnected UDP one. */
  state: string;
}

function socketInodes(pid: number): Set<string> {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const target = readlinkSync(`/proc/${pid}/fd/${fd}`);
      const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
      if (inode !== undefined) inodes.add(inode);
    } catch {
      // The descriptor closed while we looked.
    }
  }
  return inodes;
}

/** Every TCP and UDP socket (any state) that `pid` has a descriptor for. */
export function inetSocketsOf(pid: number): InetSocket[] {
  const inodes = socketInodes(pid);
  const found: InetSocket[] = [];
  for (const protocol of ["tcp", "tcp6", "udp", "udp6"] as const) {
    const table = readFileSync(`/proc/${pid}/net/${protocol}`, "utf8").split("\n").slice(1);
    for (const row of table) {
      const columns = row.trim().split(/\s+/);
      const local = columns[1];
      const state = columns[3];
      const inode = columns[9];
      if (local === undefined || state === undefined || inode === undefined) continue;
      if (!inodes.has(inode)) continue;
      const portHex = local.slice(local.lastIndexOf(":") + 1);
      found.push({ protocol, localPort: Number.parseInt(portHex, 16), state });
    }
  }
  return found;
}
