/**
 * How much memory this process may use, and so how many TLS connections it
 * can hold. A TLS connection's cost is native (OpenSSL's), outside V8's heap
 * limit: a server that takes all `--max-connections` as TLS ones can be
 * OOM-killed by its cgroup long before the limit refuses anyone. So the TLS
 * listener's limit is, unless given, what fits the memory: the cgroup's
 * limit (v2 memory.max or v1 memory.limit_in_bytes) or the machine's RAM,
 * whichever is lower, shared among the workers.
 */

import { readFileSync } from "node:fs";
import { totalmem } from "node:os";

/**
 * Bytes one established, idle TLS connection holds (measured 28 KiB on Node
 * 20 with the TLS layer built at the first byte; docs/hardening.md), rounded
 * up for what a session adds while it is served.
 */
export const TLS_CONNECTION_BYTES = 32 * 1024;
/** Bytes one handshake in progress holds (measured 56 KiB: OpenSSL's record buffers). */
export const TLS_HANDSHAKE_BYTES = 56 * 1024;
/** Kept for the process itself (a worker's idle RSS is 45–65 MiB) and its plain-TCP clients. */
export const PROCESS_RESERVE_BYTES = 96 * 1024 * 1024;

/** The memory cgroup's limit in bytes, or undefined when there is none or it cannot be read. */
export function cgroupMemoryLimit(
  read: (path: string) => string | undefined = readText,
): number | undefined {
  const membership = read("/proc/self/cgroup");
  if (membership === undefined) return undefined;
  let v1: string | undefined;
  let v2: string | undefined;
  for (const line of membership.split("\n")) {
    const [, controllers, path] = /^\d+:([^:]*):(.*)$/.exec(line) ?? [];
    if (path === undefined) continue;
    if (controllers === "") v2 = path;
    else if ((controllers as string).split(",").includes("memory")) v1 = path;
  }
  // The hierarchy may be mounted at the process's own cgroup or at an
  // ancestor of it (a container's namespace): the deepest directory that
  // exists is the process's own.
  const candidates: string[] = [];
  if (v1 !== undefined) {
    for (const tail of tails(v1))
      candidates.push(`/sys/fs/cgroup/memory${tail}/memory.limit_in_bytes`);
  }
  if (v2 !== undefined) {
    for (const tail of tails(v2)) candidates.push(`/sys/fs/cgroup${tail}/memory.max`);
  }
  for (const file of candidates) {
    const text = read(file)?.trim();
    if (text === undefined) continue;
    if (text === "max") return undefined;
    const bytes = Number(text);
    // v1 says "no limit" with a huge number (PAGE_COUNTER_MAX pages).
    return Number.isSafeInteger(bytes) && bytes > 0 && bytes < 2 ** 60 ? bytes : undefined;
  }
  return undefined;
}

/** The memory this process may count on: the cgroup's limit or RAM, the lower. */
export function memoryAvailable(): number {
  const cgroup = cgroupMemoryLimit();
  const ram = totalmem();
  return cgroup === undefined ? ram : Math.min(cgroup, ram);
}

/**
 * TLS connections one process can hold within `memoryBytes` shared by
 * `processes`, after the reserve and the handshakes in progress; at most
 * `maxConnections`, at least 1.
 */
export function tlsConnectionsThatFit(
  memoryBytes: number,
  processes: number,
  maxHandshakes: number,
  maxConnections: number,
): number {
  const share = memoryBytes / Math.max(1, processes);
  const room = share - PROCESS_RESERVE_BYTES - maxHandshakes * TLS_HANDSHAKE_BYTES;
  return Math.max(1, Math.min(maxConnections, Math.floor(room / TLS_CONNECTION_BYTES)));
}

/** "/a/b/c" → "/a/b/c", "/b/c", "/c", "". */
function tails(path: string): string[] {
  const parts = path.split("/").filter((part) => part !== "");
  const result: string[] = [];
  for (let i = 0; i <= parts.length; i++) {
    result.push(
      parts
        .slice(i)
        .map((part) => `/${part}`)
        .join(""),
    );
  }
  return result;
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, "latin1");
  } catch {
    return undefined;
  }
}
