/**
 * How `timeclient` ends when it is not the server that ends the session: a
 * reader that closes the pipe (`timeclient ... | head -1`) is a normal end,
 * exit 0 without a word; Ctrl-C at the prompt is the user's interrupt, so no
 * "Connection closed by server.", and exit 130 as for any interrupted program.
 */

import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import { createInterface } from "node:readline";
import { describe, it } from "node:test";
import { CLIENT_BIN, type Exit, startServerFor } from "../helpers/server-process.js";

const JAM_LINE = /^JAM ([01]\d|2[0-3]):[0-5]\d:[0-5]\d$/;
const CLOSED = "Connection closed by server.";

function shellQuote(word: string): string {
  return `'${word.replaceAll("'", "'\\''")}'`;
}

describe("timeclient endings", () => {
  it("exits 0 quietly when whoever reads its output stops reading (| head -1)", {
    timeout: 15_000,
  }, async (t) => {
    const server = await startServerFor(t);
    const client = spawn(process.execPath, [CLIENT_BIN, "--port", String(server.port)], {
      stdio: ["pipe", "pipe", "pipe"],
    });
    t.after(() => {
      if (client.exitCode === null && client.signalCode === null) client.kill("SIGKILL");
    });
    let stderr = "";
    client.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const exited = new Promise<Exit>((resolve) =>
      client.on("close", (code, signal) => resolve({ code, signal })),
    );

    // One line in, one reply out; then close the pipe as `head -1` does, and
    // only then ask for a second reply, which the client can no longer write.
    client.stdin.write("TIME\n");
    const lines = createInterface({ input: client.stdout });
    const [first] = (await once(lines, "line")) as [string];
    assert.match(first, JAM_LINE);
    lines.close();
    client.stdout.destroy();
    client.stdin.end("TIME\n");

    assert.deepEqual(await exited, { code: 0, signal: null }, stderr);
    assert.equal(stderr, "");
  });

  it("on Ctrl-C at the prompt exits 130 without claiming the server closed", {
    timeout: 15_000,
  }, async (t) => {
    if (spawnSync("script", ["--version"]).status !== 0) {
      t.skip("util-linux script is not available to provide a pseudo-terminal");
      return;
    }
    const server = await startServerFor(t);
    const command = [process.execPath, CLIENT_BIN, "--port", String(server.port)]
      .map(shellQuote)
      .join(" ");
    const terminal = spawn("script", ["-qfec", command, "/dev/null"], {
      stdio: ["pipe", "pipe", "pipe"],
    });
    t.after(() => {
      if (terminal.exitCode === null && terminal.signalCode === null) terminal.kill("SIGKILL");
    });
    let output = "";
    let interrupted = false;
    terminal.stdout.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      // At the first prompt, press Ctrl-C (the terminal is in raw mode by then).
      if (!interrupted && output.includes(">> ")) {
        interrupted = true;
        terminal.stdin.write("\x03");
      }
    });
    terminal.stdin.on("error", () => {});
    const [code] = (await once(terminal, "close")) as [number | null];

    assert.ok(interrupted, JSON.stringify(output));
    assert.ok(!output.includes(CLOSED), JSON.stringify(output));
    assert.ok(!output.includes("timeclient:"), JSON.stringify(output));
    // The shell's prompt that follows starts on a line of its own.
    assert.ok(output.endsWith("\n"), JSON.stringify(output));
    assert.equal(code, 130, JSON.stringify(output));
    await server.waitForLine(/Connection closed from /);
  });
});
