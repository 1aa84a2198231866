/**
 * The log never stops the server, and never loses a line without saying so:
 * a stdout nobody reads (a pipe, a socket) costs log lines, not service or
 * shutdown, and the loss is reported in the log with exact counts; a regular
 * file keeps up with a heavy load; lifecycle lines are always there.
 */

import assert from "node:assert/strict";
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { closeSync, constants, mkdtempSync, openSync, readFileSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { describe, it } from "node:test";
import { pickFixedPort, SERVER_BIN } from "../helpers/server-process.js";
import { connectWhenListening, pipelineTimes } from "../helpers/time-load.js";

const WARNING = /\[WARN\] Log output is falling behind: dropped (\d+) lines in the last \d+\.\d s$/;
const TOTAL = /\[WARN\] Dropped (\d+) log lines in all$/;

interface Started {
  child: ChildProcess;
  port: number;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

async function spawnServer(stdout: "pipe" | number, port: number): Promise<Started> {
  const child = spawn(
    process.execPath,
    [SERVER_BIN, "--host", "127.0.0.1", "--port", String(port), "--log-level", "info"],
    { stdio: ["ignore", stdout, "pipe"] },
  );
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on("exit", (code, signal) => {
      if (code !== 0) console.error(`timeserver stderr: ${stderr}`);
      resolve({ code, signal });
    }),
  );
  return { child, port, exited };
}

/** Every line logged under the load below, when nothing is dropped. */
function expectedLines(connections: number, requests: number): number {
  // Listening, Received SIGTERM, Server stopped; Connection from / closed; Received + Sent per TIME.
  return 3 + 2 * connections + 2 * requests;
}

/** Lines, the per-second warnings' counts and the final total, from a whole log. */
function readLog(text: string): { lines: string[]; warned: number; total: number | undefined } {
  const all = text.split("\n").filter((line) => line.length > 0);
  let warned = 0;
  let total: number | undefined;
  const lines: string[] = [];
  for (const line of all) {
    const warning = WARNING.exec(line);
    const final = TOTAL.exec(line);
    if (warning) warned += Number(warning[1]);
    else if (final) total = Number(final[1]);
    else lines.push(line);
  }
  return { lines, warned, total };
}

async function load(port: number, child: ChildProcess, connections: number, perConnection: number) {
  const sockets = await Promise.all(
    Array.from({ length: connections }, () => connectWhenListening(port, child)),
  );
  const replies = await Promise.all(sockets.map((socket) => pipelineTimes(socket, perConnection)));
  return replies.reduce((a, b) => a + b, 0);
}

/** Resolves with everything read from `stream` once `stop` returns true for the text so far... and the stream ends. */
function collect(stream: Readable): {
  text: () => string;
  ended: Promise<void>;
  seen: (re: RegExp) => Promise<void>;
} {
  let text = "";
  let waiters: (() => void)[] = [];
  stream.on("data", (chunk: Buffer) => {
    text += chunk.toString("latin1");
    const woken = waiters;
    waiters = [];
    for (const wake of woken) wake();
  });
  const ended = new Promise<void>((resolve) => stream.once("end", resolve));
  const seen = (re: RegExp) =>
    new Promise<void>((resolve) => {
      const check = () => {
        if (text.split("\n").some((line) => re.test(line))) resolve();
        else waiters.push(check);
      };
      check();
    });
  return { text: () => text, ended, seen };
}

interface StuckOutput {
  stdout: "pipe" | number;
  afterSpawn: (child: ChildProcess) => void;
  startReading: () => Readable;
}

const STUCK_OUTPUTS: { name: string; open: (dir: string) => StuckOutput }[] = [
  {
    name: "a pipe",
    /** A FIFO: the server's stdout is a real pipe; the read end stays unread until `startReading`. */
    open(dir: string): StuckOutput {
      const path = join(dir, "stdout.fifo");
      execFileSync("mkfifo", [path]);
      const readFd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
      const writeFd = openSync(path, constants.O_WRONLY);
      return {
        stdout: writeFd,
        afterSpawn: () => closeSync(writeFd),
        startReading: () => new net.Socket({ fd: readFd, readable: true, writable: false }),
      };
    },
  },
  {
    name: "a socket",
    /** Node's stdio "pipe" is a socketpair; child.stdout stays unconsumed until `startReading`. */
    open(): StuckOutput {
      let stdout: Readable | undefined;
      return {
        stdout: "pipe",
        afterSpawn: (child) => {
          stdout = child.stdout ?? undefined;
        },
        startReading: () => stdout as Readable,
      };
    },
  },
];

describe("log output", () => {
  for (const output of STUCK_OUTPUTS) {
    it(`serves every request and shuts down on SIGTERM while nobody reads stdout (${output.name}), then reports the drops`, {
      timeout: 120_000,
    }, async (t) => {
      const dir = mkdtempSync(join(tmpdir(), "timeserver-log-output-"));
      const port = await pickFixedPort();
      const out = output.open(dir);
      const server = await spawnServer(out.stdout, port);
      out.afterSpawn(server.child);
      t.after(() => {
        if (server.child.exitCode === null && server.child.signalCode === null)
          server.child.kill("SIGKILL");
      });

      // Far more log than the 64 KB pipe and the 8 MB bound: the server must not stall.
      const connections = 4;
      const perConnection = 50_000;
      const answered = await load(port, server.child, connections, perConnection);
      assert.equal(answered, connections * perConnection);

      // Now read: what was held comes out, with the warning in place of the gap.
      const log = collect(out.startReading());
      await log.seen(WARNING);
      server.child.kill("SIGTERM");
      assert.deepEqual(await server.exited, { code: 0, signal: null });
      await log.ended;

      const { lines, warned, total } = readLog(log.text());
      assert.ok(warned > 0, "no warning about dropped lines");
      assert.equal(total, warned, "the final total is not the sum of the warnings");
      assert.equal(lines.length + warned, expectedLines(connections, answered));
      assert.ok(lines.some((line) => line.endsWith("[INFO] Received SIGTERM; shutting down")));
      assert.ok(lines.some((line) => line.endsWith("[INFO] Server stopped")));
    });
  }

  it("with stdout a regular file under heavy load, logs every request (or counts exactly what it dropped)", {
    timeout: 120_000,
  }, async (t) => {
    const dir = mkdtempSync(join(tmpdir(), "timeserver-log-output-"));
    const path = join(dir, "stdout.log");
    const fd = openSync(path, "w");
    const port = await pickFixedPort();
    const server = await spawnServer(fd, port);
    closeSync(fd);
    t.after(() => {
      if (server.child.exitCode === null && server.child.signalCode === null)
        server.child.kill("SIGKILL");
    });

    const connections = 50;
    const perConnection = 4_000;
    const answered = await load(port, server.child, connections, perConnection);
    assert.equal(answered, connections * perConnection);
    server.child.kill("SIGTERM");
    assert.deepEqual(await server.exited, { code: 0, signal: null });

    const { lines, warned, total } = readLog(readFileSync(path, "latin1"));
    const received = lines.filter((line) =>
      line.endsWith("[INFO] Received: TIME from 127.0.0.1"),
    ).length;
    assert.equal(total ?? 0, warned);
    assert.equal(lines.length + warned, expectedLines(connections, answered));
    if (warned === 0) assert.equal(received, answered);
    assert.ok(lines.some((line) => line.endsWith("[INFO] Received SIGTERM; shutting down")));
    assert.ok(lines.some((line) => line.endsWith("[INFO] Server stopped")));
  });
});
