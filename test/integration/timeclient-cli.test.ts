/**
 * The real `timeclient` program against the real `timeserver`: commands as
 * arguments, lines piped on stdin, the `>> ` prompt on a terminal, and one
 * clear stderr line when it cannot do its job.
 */

import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import net from "node:net";
import { describe, it } from "node:test";
import { CLIENT_BIN, runProgram, startServerFor } from "../helpers/server-process.js";

const JAM_LINE = /^JAM ([01]\d|2[0-3]):[0-5]\d:[0-5]\d$/;
const CLOSED = "Connection closed by server.";

function stdoutLines(stdout: string): string[] {
  return stdout.split("\n").filter((line) => line !== "");
}

function assertOneCleanLine(stderr: string): string {
  const lines = stdoutLines(stderr);
  assert.equal(lines.length, 1, `expected one stderr line, got:\n${stderr}`);
  const line = lines[0] as string;
  assert.match(line, /^timeclient: /);
  assert.doesNotMatch(stderr, /^\s+at /m, "stack frames on stderr");
  assert.doesNotMatch(stderr, /\b\w*Error\b:/, "an error dump on stderr");
  return line;
}

/** A loopback port that was free a moment ago and has nothing listening on it. */
async function closedPort(): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const port = (probe.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

function shellQuote(word: string): string {
  return `'${word.replaceAll("'", "'\\''")}'`;
}

describe("timeclient", () => {
  it("sends its arguments as commands and prints each reply, then the server's close", {
    timeout: 15_000,
  }, async (t) => {
    const server = await startServerFor(t);
    const result = await runProgram(
      CLIENT_BIN,
      ["--port", String(server.port), "TIME", "foo", "QUIT"],
      {
        signal: t.signal,
      },
    );
    assert.equal(result.stderr, "");
    const lines = stdoutLines(result.stdout);
    assert.equal(lines.length, 3, result.stdout);
    assert.match(lines[0] as string, JAM_LINE);
    assert.deepEqual(lines.slice(1), ["Invalid command", CLOSED]);
    assert.equal(result.code, 0);
  });

  it("sends piped stdin lines and reports the close after the input ends without QUIT", {
    timeout: 15_000,
  }, async (t) => {
    const server = await startServerFor(t);
    const result = await runProgram(CLIENT_BIN, ["--port", String(server.port)], {
      input: "TIME\nTIME\n",
      signal: t.signal,
    });
    assert.equal(result.stderr, "");
    const lines = stdoutLines(result.stdout);
    assert.equal(lines.length, 3, result.stdout);
    assert.match(lines[0] as string, JAM_LINE);
    assert.match(lines[1] as string, JAM_LINE);
    assert.equal(lines[2], CLOSED);
    assert.equal(result.code, 0);
  });

  it("on a terminal shows the >> prompt, answers TIME and ends on QUIT", {
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
    // script runs the client on a pseudo-terminal and relays our pipe to it.
    const terminal = spawn("script", ["-qfec", command, "/dev/null"], {
      stdio: ["pipe", "pipe", "pipe"],
    });
    t.after(() => {
      if (terminal.exitCode === null && terminal.signalCode === null) terminal.kill("SIGKILL");
    });
    let output = "";
    let prompts = 0;
    const typed = ["TIME\r", "QUIT\r"];
    terminal.stdout.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      const seen = output.split(">> ").length - 1;
      // Type the next line each time a new prompt appears.
      while (prompts < seen) {
        const line = typed[prompts];
        prompts++;
        if (line !== undefined) terminal.stdin.write(line);
      }
    });
    terminal.stdin.on("error", () => {});
    const exit = await new Promise<number | null>((resolve) => terminal.on("close", resolve));

    assert.ok(output.includes(">> "), JSON.stringify(output));
    assert.match(output, /(^|\n)JAM ([01]\d|2[0-3]):[0-5]\d:[0-5]\d\r?\n/);
    assert.ok(output.includes(CLOSED), JSON.stringify(output));
    assert.equal(exit, 0, JSON.stringify(output));
  });

  it("reports an unreachable server in one stderr line and exits non-zero", {
    timeout: 15_000,
  }, async (t) => {
    const port = await closedPort();
    const result = await runProgram(CLIENT_BIN, ["--port", String(port), "TIME"], {
      signal: t.signal,
    });
    const line = assertOneCleanLine(result.stderr);
    assert.match(line, /cannot connect/);
    assert.ok(line.includes(`127.0.0.1:${port}`), line);
    assert.notEqual(result.code, 0);
    assert.equal(result.signal, null);
    assert.equal(result.stdout, "");
  });

  it("refuses --port abc in one stderr line with exit code 2", { timeout: 15_000 }, async (t) => {
    const result = await runProgram(CLIENT_BIN, ["--port", "abc", "TIME"], { signal: t.signal });
    const line = assertOneCleanLine(result.stderr);
    assert.ok(line.includes("--port") && line.includes("abc"), line);
    assert.equal(result.code, 2);
    assert.equal(result.stdout, "");
  });
});
