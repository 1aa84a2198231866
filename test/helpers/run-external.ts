/**
 * Runs a real client program (rdate, chronyd, nmap) to completion without a
 * shell. The timeout is a safety net that kills a stuck client so the test
 * fails with what it printed; it is never what a test asserts on.
 */

import { spawn } from "node:child_process";

export interface ExternalResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** The program could not be started (ENOENT and the like). */
  spawnError?: Error;
}

export function runExternal(
  bin: string,
  args: string[],
  options: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<ExternalResult> {
  return new Promise((resolve) => {
    const child = spawn(bin, args, {
      env: { ...process.env, ...options.env },
      stdio: ["ignore", "pipe", "pipe"],
      timeout: options.timeoutMs ?? 60_000,
      killSignal: "SIGKILL",
    });
    let stdout = "";
    let stderr = "";
    let spawnError: Error | undefined;
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on("error", (error) => {
      spawnError = error;
    });
    child.on("close", (code, signal) =>
      resolve({ code, signal, stdout, stderr, ...(spawnError ? { spawnError } : {}) }),
    );
  });
}

/** One line for an assertion message: how the program ended and what it printed. */
export function describeRun(bin: string, args: string[], result: ExternalResult): string {
  return (
    `${bin} ${args.join(" ")} ended with code ${result.code} signal ${result.signal}` +
    `${result.spawnError ? ` (${result.spawnError.message})` : ""}\n` +
    `stdout:\n${result.stdout}\nstderr:\n${result.stderr}`
  );
}
