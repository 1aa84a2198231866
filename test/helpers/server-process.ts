/**
 * Runs the real `timeserver` binary the way a user would, on port 0 unless a
 * test says otherwise, and learns the bound port from its "Listening on" log
 * line. Every stdout line is kept so tests can assert on the log.
 */

import { type ChildProcess, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

export const SERVER_BIN = fileURLToPath(new URL("../../src/cli/timeserver.js", import.meta.url));
export const CLIENT_BIN = fileURLToPath(new URL("../../src/cli/timeclient.js", import.meta.url));

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export class ServerProcess {
  readonly lines: string[] = [];
  stderr = "";
  port = 0;
  readonly exited: Promise<Exit>;
  private waiters: (() => void)[] = [];
  private hasExited = false;

  constructor(readonly child: ChildProcess) {
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
        else if (this.hasExited) reject(new Error(`server exited before logging ${pattern}; stderr: ${this.stderr}`));
        else this.waiters.push(check);
      };
      check();
    });
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
export async function startServer(args: string[] = [], env: NodeJS.ProcessEnv = {}): Promise<ServerProcess> {
  const withPort = args.includes("--port") || "TIMESERVER_PORT" in env ? args : ["--port", "0", ...args];
  const child = spawn(process.execPath, [SERVER_BIN, ...withPort], {
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const server = new ServerProcess(child);
  const line = await server.waitForLine(/Listening on /);
  const port = /Listening on .*:(\d+)/.exec(line)?.[1];
  server.port = Number(port);
  return server;
}

export interface RunResult extends Exit {
  stdout: string;
  stderr: string;
}

/** Run a program to completion with optional stdin text. */
export function runProgram(bin: string, args: string[], options: { input?: string; env?: NodeJS.ProcessEnv } = {}): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, ...args], {
      env: { ...process.env, ...options.env },
      stdio: ["pipe", "pipe", "pipe"],
    });
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
