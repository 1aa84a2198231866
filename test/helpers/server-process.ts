/**
 * Runs the real `timeserver` binary the way a user would, on port 0 unless a
 * test says otherwise, and learns the bound port from its "Listening on" log
 * line. Every stdout line is kept so tests can assert on the log.
 */

import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import net from "node:net";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

/**
 * This machine's kernel clock may well be unsynchronised (a VM, a container),
 * and then the server's SNTP replies would say LI 3 (unsynchronised). The servers
 * tests start serve as a local clock (`--local`, what the wire tests expect)
 * unless a test says otherwise with TIMESERVER_LOCAL=0. Every spawn here
 * passes process.env on, so setting it once reaches them all.
 */
process.env.TIMESERVER_LOCAL ??= "1";

export const SERVER_BIN = fileURLToPath(new URL("../../src/cli/timeserver.js", import.meta.url));
export const CLIENT_BIN = fileURLToPath(new URL("../../src/cli/timeclient.js", import.meta.url));

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export class ServerProcess {
  readonly lines: string[] = [];
  /** Every stdout byte as written, for checks readline would hide (a raw CR splits a line there). */
  readonly stdoutChunks: Buffer[] = [];
  stderr = "";
  port = 0;
  readonly exited: Promise<Exit>;
  private waiters: (() => void)[] = [];
  private hasExited = false;

  constructor(readonly child: ChildProcess) {
    child.stdout!.on("data", (chunk: Buffer) => {
      this.stdoutChunks.push(chunk);
    });
    createInterface({ input: child.stdout! }).on("line", (line) => {
      this.lines.push(line);
      this.wake();
    });
    child.stderr!.on("data", (chunk: Buffer) => {
      this.stderr += chunk.toString();
    });
    this.exited = new Promise((resolve) => {
      child.on("exit", (code, signal) => {
        this.hasExited = true;
        // Let readline hand over the last lines before anyone looks.
        setImmediate(() => {
          this.wake();
          resolve({ code, signal });
        });
      });
    });
  }

  /** The first log line (from `from` on) matching `pattern`; rejects if the server exits first. */
  waitForLine(pattern: RegExp, from = 0): Promise<string> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const line = this.lines.slice(from).find((candidate) => pattern.test(candidate));
        if (line !== undefined) resolve(line);
        else if (this.hasExited)
          reject(new Error(`server exited before logging ${pattern}; stderr: ${this.stderr}`));
        else this.waiters.push(check);
      };
      check();
    });
  }

  /** Resolves once `count` log lines (from `from` on) match `pattern`; rejects if the server exits first. */
  waitForLines(pattern: RegExp, count: number, from = 0): Promise<string[]> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const found = this.lines.slice(from).filter((candidate) => pattern.test(candidate));
        if (found.length >= count) resolve(found);
        else if (this.hasExited)
          reject(
            new Error(
              `server exited after ${found.length} of ${count} lines matching ${pattern}; stderr: ${this.stderr}`,
            ),
          );
        else this.waiters.push(check);
      };
      check();
    });
  }

  /** All of stdout so far, byte for byte. */
  get stdout(): Buffer {
    return Buffer.concat(this.stdoutChunks);
  }

  get hasExitedYet(): boolean {
    return this.hasExited;
  }

  /** Resident set size of the server process in KiB, from /proc (Linux). */
  rssKiB(): number {
    const status = readFileSync(`/proc/${this.child.pid}/status`, "utf8");
    const kib = /^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1];
    if (kib === undefined) throw new Error(`no VmRSS for pid ${this.child.pid}`);
    return Number(kib);
  }

  /** Cleanup for t.after: SIGKILL unless it already exited, and wait for the exit. */
  async kill(): Promise<Exit> {
    if (!this.hasExited) this.child.kill("SIGKILL");
    return this.exited;
  }

  /** Send a signal and wait for the exit. */
  async stop(signal: NodeJS.Signals = "SIGTERM"): Promise<Exit> {
    if (!this.hasExited) this.child.kill(signal);
    return this.exited;
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const waiter of waiters) waiter();
  }
}

/** Start `timeserver` with `args` (plus `--port 0` unless a port is given) and wait until it listens. */
export async function startServer(
  args: string[] = [],
  env: NodeJS.ProcessEnv = {},
): Promise<ServerProcess> {
  const withPort =
    args.includes("--port") || "TIMESERVER_PORT" in env ? args : ["--port", "0", ...args];
  const child = spawn(process.execPath, [SERVER_BIN, ...withPort], {
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const server = new ServerProcess(child);
  const line = await server.waitForLine(/Listening on [^\s"]+:\d+(?:$|")/);
  const port = /Listening on [^\s"]+:(\d+)(?:$|")/.exec(line)?.[1];
  server.port = Number(port);
  return server;
}

/**
 * startServer on loopback (127.0.0.1 unless `--host` is given), killed when the
 * test (or the suite, for a `before` hook's context) ends, pass or fail.
 */
export async function startServerFor(
  t: { after(fn: () => unknown): void },
  args: string[] = [],
  env: NodeJS.ProcessEnv = {},
): Promise<ServerProcess> {
  const server = await startServer(
    args.includes("--host") ? args : ["--host", "127.0.0.1", ...args],
    env,
  );
  t.after(() => server.kill());
  return server;
}

export interface RunResult extends Exit {
  stdout: string;
  stderr: string;
}

/** Run a program to completion with optional stdin text; `signal` kills it (e.g. a test's t.signal). */
export function runProgram(
  bin: string,
  args: string[],
  options: { input?: string; env?: NodeJS.ProcessEnv; signal?: AbortSignal } = {},
): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, ...args], {
      env: { ...process.env, ...options.env },
      stdio: ["pipe", "pipe", "pipe"],
      ...(options.signal ? { signal: options.signal, killSignal: "SIGKILL" as const } : {}),
    });
    child.on("error", () => {});
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr }));
    child.stdin.on("error", () => {});
    child.stdin.end(options.input ?? "");
  });
}

/**
 * A port below the ephemeral range (so no client socket of any test holds it)
 * that is free right now; for servers whose log cannot tell us their port.
 */
export async function pickFixedPort(): Promise<number> {
  for (;;) {
    const port = 20000 + Math.floor(Math.random() * 10000);
    const free = await new Promise<boolean>((resolve) => {
      const probe = net.createServer();
      probe.once("error", () => resolve(false));
      probe.listen({ host: "127.0.0.1", port }, () => probe.close(() => resolve(true)));
    });
    if (free) return port;
  }
}

/**
 * Start `timeserver` on a fixed loopback port when its log will not say
 * "Listening on" (--log-level warn or silent). Readiness is learned by
 * connecting: each refused attempt is retried when its error event arrives,
 * until the server accepts (or exits). The connection that got through is
 * returned as a raw socket for the test to use (closing it would free a slot
 * the test may be counting on).
 */
export async function startQuietServer(
  args: string[] = [],
  env: NodeJS.ProcessEnv = {},
): Promise<{ server: ServerProcess; socket: net.Socket }> {
  for (let attempt = 0; ; attempt++) {
    const port = await pickFixedPort();
    const child = spawn(
      process.execPath,
      [SERVER_BIN, "--host", "127.0.0.1", "--port", String(port), ...args],
      {
        env: { ...process.env, ...env },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    const server = new ServerProcess(child);
    server.port = port;
    const socket = await connectWhenListening(port, server);
    if (socket !== undefined) return { server, socket };
    await server.exited;
    if (!/in use/.test(server.stderr) || attempt >= 5) {
      throw new Error(`timeserver did not start on port ${port}; stderr: ${server.stderr}`);
    }
  }
}

function connectWhenListening(
  port: number,
  server: ServerProcess,
): Promise<net.Socket | undefined> {
  return connectOnceListening(port, () => server.hasExitedYet).catch((error: Error) => {
    if (server.hasExitedYet) return undefined;
    throw error;
  });
}

/**
 * Connect to a server that is starting: each refused attempt is retried when
 * its error event arrives (no timer); rejects once `exited()` says the server
 * is gone.
 */
export function connectOnceListening(port: number, exited: () => boolean): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const attempt = () => {
      if (exited()) {
        reject(new Error(`server exited before listening on ${port}`));
        return;
      }
      const socket = net.connect({ host: "127.0.0.1", port });
      socket.once("connect", () => {
        socket.removeAllListeners("error");
        resolve(socket);
      });
      socket.once("error", (error: NodeJS.ErrnoException) => {
        socket.destroy();
        if (error.code === "ECONNREFUSED") setImmediate(attempt);
        else reject(error);
      });
    };
    attempt();
  });
}
