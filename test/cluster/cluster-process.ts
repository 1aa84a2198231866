/**
 * The real `timeserver --workers N` for tests: started on loopback port 0,
 * ready once the primary says all workers listen, with the workers' pids
 * read from the primary's "Started worker N (pid P)" lines.
 */

import { readFileSync } from "node:fs";
import { type ServerProcess, startServerFor } from "../helpers/server-process.js";
import type { CleanupContext } from "../helpers/wire-client.js";

/**
 * The primary's line, text or JSON, logged once every worker listens (each
 * worker's own line says just "Listening on <address>").
 */
export const CLUSTER_LISTENING = /Listening on \S+ with \d+ workers/;

/** Start a cluster of `workers` and wait until all of them listen; killed (with its workers) when the test ends. */
export async function startClusterFor(
  t: CleanupContext,
  workers: number,
  args: string[] = [],
): Promise<ServerProcess> {
  const server = await startServerFor(t, ["--workers", String(workers), ...args]);
  t.after(() => killLeftoverWorkers(server));
  await server.waitForLine(CLUSTER_LISTENING);
  return server;
}

/** Worker pids by worker id, latest incarnation, from "Started/Restarted worker N (pid P)" lines. */
export function workerPids(lines: readonly string[]): Map<number, number> {
  const pids = new Map<number, number>();
  for (const line of lines) {
    const match = /(?:Started|Restarted) worker (\d+) \(pid (\d+)\)/.exec(line);
    if (match) pids.set(Number(match[1]), Number(match[2]));
  }
  return pids;
}

/** Every worker pid the primary ever logged, restarted ones included. */
export function allWorkerPids(lines: readonly string[]): number[] {
  return lines.flatMap((line) => {
    const pid = /(?:Started|Restarted) worker \d+ \(pid (\d+)\)/.exec(line)?.[1];
    return pid === undefined ? [] : [Number(pid)];
  });
}

/** True while a process with this pid exists (signal 0 only checks). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ESRCH") return false;
    throw error;
  }
}

/**
 * Cleanup after a failed test: workers normally leave with their primary (node:cluster
 * ends a worker whose IPC channel closes), but make sure. A pid is killed only while it
 * is still a timeserver, so a pid reused since by someone else is left alone.
 */
function killLeftoverWorkers(server: ServerProcess): void {
  for (const pid of allWorkerPids(server.lines)) {
    try {
      if (readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("timeserver")) {
        process.kill(pid, "SIGKILL");
      }
    } catch {
      // Already gone.
    }
  }
}
