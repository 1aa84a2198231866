/**
 * `npm start` is how the README starts the server, so a SIGTERM to npm (what
 * a service manager or `docker stop` sends) must reach the server and stop
 * it, not orphan it. Runs the real npm on the real "start" script (without
 * its prestart build, which would rewrite dist/ under the other tests).
 */

import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { createInterface } from "node:readline";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";

const PACKAGE_ROOT = fileURLToPath(new URL("../../../", import.meta.url));

/** The npm that runs these tests when there is one (npm test), else the one on PATH. */
function npm(): { command: string; prefix: string[] } {
  const cli = process.env.npm_execpath;
  if (cli?.endsWith(".js")) return { command: process.execPath, prefix: [cli] };
  return { command: "npm", prefix: [] };
}

/** True while `pid` is a live process (not gone, not a zombie awaiting its parent). */
function isRunning(pid: number): boolean {
  if (!existsSync(`/proc/${pid}/stat`)) return false;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}

describe("npm start", () => {
  it("passes SIGTERM on to the server, which shuts down and leaves nothing behind", {
    timeout: 60_000,
  }, async (t) => {
    const { command, prefix } = npm();
    if (spawnSync(command, [...prefix, "--version"]).status !== 0) {
      t.skip("npm is not available");
      return;
    }
    const child = spawn(
      command,
      [
        ...prefix,
        "start",
        "--ignore-scripts",
        "--",
        "--host",
        "127.0.0.1",
        "--port",
        "0",
        "--log-format",
        "json",
      ],
      {
        cwd: PACKAGE_ROOT,
        env: { ...process.env, npm_config_update_notifier: "false" },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let serverPid: number | undefined;
    t.after(() => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      // An orphaned server is this test's own process: do not leave it running.
      if (serverPid !== undefined && isRunning(serverPid)) process.kill(serverPid, "SIGKILL");
    });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.on("exit", (code, signal) => resolve({ code, signal })),
    );
    // After the exit, once the pipes are closed: every line has been read. An
    // orphaned server would hold them open, so this is awaited only after the check.
    const closed = new Promise((resolve) => child.on("close", resolve));

    const messages: string[] = [];
    const listening = new Promise<{ pid: number }>((resolve, reject) => {
      createInterface({ input: child.stdout }).on("line", (line) => {
        if (!line.startsWith("{")) return; // npm's own "> timeserver@1.0.0 start" banner
        const entry = JSON.parse(line) as { msg: string; pid: number };
        messages.push(entry.msg);
        if (entry.msg.startsWith("Listening on ")) resolve(entry);
      });
      child.on("close", () => reject(new Error(`npm start ended first; stderr: ${stderr}`)));
    });
    const { pid } = await listening;
    serverPid = pid;
    assert.notEqual(pid, child.pid);

    child.kill("SIGTERM");
    const exit = await exited;

    assert.equal(isRunning(pid), false, `the server (pid ${pid}) outlived npm start`);
    await closed;
    assert.ok(messages.includes("Received SIGTERM; shutting down"), messages.join("\n"));
    assert.ok(messages.includes("Server stopped"), messages.join("\n"));
    assert.deepEqual(exit, { code: 0, signal: null }, stderr);
  });
});
