/**
 * Signals a production server must outlive: SIGUSR1 must not open Node's
 * inspector (a debugger anyone on the machine could drive) and SIGHUP must not
 * kill it. Each is sent to the real `timeserver` (single process and cluster
 * primary); the test waits for the server's log line, then checks that it
 * still answers and that the only socket it listens on is its own port.
 */

import assert from "node:assert/strict";
import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import { describe, it } from "node:test";
import { type ServerProcess, startServerFor } from "../helpers/server-process.js";
import { connectFor, TIME_REPLY } from "../helpers/wire-client.js";

/** What Node writes to stderr when a signal opened (or tried to open) the inspector. */
const INSPECTOR = /Debugger listening|inspector/i;

/** TCP ports the process `pid` itself listens on, from /proc (Linux). */
function listeningPorts(pid: number): number[] {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    let target: string;
    try {
      target = readlinkSync(`/proc/${pid}/fd/${fd}`);
    } catch {
      continue; // closed while we looked
    }
    const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
    if (inode !== undefined) inodes.add(inode);
  }
  const ports: number[] = [];
  for (const table of ["tcp", "tcp6"]) {
    const rows = readFileSync(`/proc/${pid}/net/${table}`, "utf8").trim().split("\n").slice(1);
    for (const row of rows) {
      const columns = row.trim().split(/\s+/);
      const [local, , state] = [columns[1], columns[2], columns[3]];
      if (state === "0A" && inodes.has(columns[9] as string)) {
        ports.push(Number.parseInt((local as string).split(":")[1] as string, 16));
      }
    }
  }
  return ports.sort((a, b) => a - b);
}

/** Resolves with stderr once it matches `pattern`; never resolves otherwise. */
function stderrMatching(server: ServerProcess, pattern: RegExp): Promise<string> {
  return new Promise((resolve) => {
    let text = "";
    server.child.stderr!.on("data", (chunk: Buffer) => {
      text += chunk.toString();
      if (pattern.test(text)) resolve(text);
    });
  });
}

/** The log line `pattern` after `signal`, or a failure naming what happened instead. */
async function signalAndWait(
  server: ServerProcess,
  signal: NodeJS.Signals,
  pattern: RegExp,
  pid = server.child.pid as number,
): Promise<string> {
  const from = server.lines.length;
  const inspector = stderrMatching(server, INSPECTOR).then((stderr) => {
    throw new Error(`${signal} opened the inspector: ${stderr}`);
  });
  process.kill(pid, signal);
  return Promise.race([server.waitForLine(pattern, from), inspector]);
}

async function assertStillServes(
  t: Parameters<typeof connectFor>[0],
  server: ServerProcess,
): Promise<void> {
  const client = await connectFor(t, server.port);
  assert.match(await client.askTime(), TIME_REPLY);
  client.destroy();
}

describe("timeserver and signals", () => {
  it("ignores SIGUSR1: no inspector, a log line, still serving", { timeout: 15_000 }, async (t) => {
    const server = await startServerFor(t);
    const line = await signalAndWait(server, "SIGUSR1", /Received SIGUSR1; ignored/);
    assert.match(
      line,
      /\[WARN\] Received SIGUSR1; ignored \(the inspector is off; start with node --inspect to debug\)$/,
    );
    await assertStillServes(t, server);
    assert.deepEqual(listeningPorts(server.child.pid as number), [server.port]);
    assert.doesNotMatch(server.stderr, INSPECTOR);
    assert.deepEqual(await server.stop("SIGTERM"), { code: 0, signal: null });
  });

  it("survives SIGHUP with a log line and still serves", { timeout: 15_000 }, async (t) => {
    const server = await startServerFor(t);
    const line = await signalAndWait(server, "SIGHUP", /Nothing to reload/);
    assert.match(line, /\[INFO\] Nothing to reload \(no TLS listener\)$/);
    assert.ok(server.lines.some((each) => /\[INFO\] Received SIGHUP; reloading$/.test(each)));
    await assertStillServes(t, server);
    assert.deepEqual(await server.stop("SIGTERM"), { code: 0, signal: null });
    assert.equal(server.stderr, "");
  });

  it("as a cluster primary, ignores SIGUSR1 and SIGHUP too", { timeout: 30_000 }, async (t) => {
    const server = await startServerFor(t, ["--workers", "2"]);
    await signalAndWait(server, "SIGUSR1", /Received SIGUSR1; ignored/);
    await server.waitForLine(/Listening on .* with 2 workers/);
    await signalAndWait(server, "SIGHUP", /Nothing to reload/);
    await assertStillServes(t, server);
    // The primary holds the shared listening socket; the inspector would be a second port.
    assert.deepEqual(listeningPorts(server.child.pid as number), [server.port]);
    assert.deepEqual(await server.stop("SIGTERM"), { code: 0, signal: null });
    assert.doesNotMatch(server.stderr, INSPECTOR);
  });
});
