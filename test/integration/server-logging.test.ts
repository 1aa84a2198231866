/**
 * What the real `timeserver` writes to stdout: the line protocol's text lines, JSON
 * lines with --log-format json, nothing below --log-level, and never a raw
 * control byte from the network.
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type ServerProcess, startQuietServer, startServerFor } from "../helpers/server-process.js";
import {
  type CleanupContext,
  connectFor,
  INVALID,
  TIME_REPLY,
  WireClient,
} from "../helpers/wire-client.js";

/** Bytes a log line must never carry: C0 controls other than the line-ending LF, DEL, and C1 controls. */
function controlBytesIn(stdout: Buffer): string[] {
  const found: string[] = [];
  const text = stdout.toString("utf8");
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if ((code < 0x20 && code !== 0x0a) || (code >= 0x7f && code <= 0x9f)) {
      const lineStart = text.lastIndexOf("\n", i) + 1;
      found.push(
        `0x${code.toString(16)} in ${JSON.stringify(text.slice(lineStart, text.indexOf("\n", i)))}`,
      );
    }
  }
  return found;
}

/** A quiet server (no "Listening on" line) killed at the end of the test, and its first client. */
async function startQuietServerFor(
  t: CleanupContext,
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ server: ServerProcess; client: WireClient }> {
  const { server, socket } = await startQuietServer(args, env);
  t.after(() => server.kill());
  const client = WireClient.adopt(socket);
  t.after(() => client.destroy());
  return { server, client };
}

/** SIGTERM and wait for the exit: after it every line the server logged is on stdout. */
async function stopCleanly(server: ServerProcess): Promise<void> {
  const exit = await server.stop("SIGTERM");
  assert.deepEqual(exit, { code: 0, signal: null }, `stderr: ${server.stderr}`);
}

/** Lines about the server's life, written at every level but silent. */
const LIFECYCLE = /\[INFO\] (Listening on |Received SIG\w+; shutting down|Server stopped)/;

describe("timeserver logging", () => {
  it("logs a TIME and QUIT conversation at info in the original exercise's text shape", async (t) => {
    const server = await startServerFor(t);
    const client = await connectFor(t, server.port, "127.0.0.1", { allowHalfOpen: false });
    const port = client.socket.localPort;
    const reply = await client.askTime();
    assert.match(reply, TIME_REPLY);
    client.send("QUIT\r\n");
    await client.waitForClose();
    await server.waitForLine(new RegExp(`Connection closed from 127\\.0\\.0\\.1:${port}$`));

    const expected = [
      `[INFO] Connection from 127.0.0.1:${port}`,
      "[INFO] Received: TIME from 127.0.0.1",
      `[INFO] Sent: ${reply.slice(0, 12)} to 127.0.0.1`,
      "[INFO] Received: QUIT from 127.0.0.1",
      `[INFO] Connection closed from 127.0.0.1:${port}`,
    ];
    let previous = -1;
    for (const text of expected) {
      const index = server.lines.findIndex((line) => line.endsWith(` ${text}`));
      assert.ok(
        index >= 0,
        `no line ending in ${JSON.stringify(text)} in:\n${server.lines.join("\n")}`,
      );
      assert.ok(
        index > previous,
        `${JSON.stringify(text)} is out of order in:\n${server.lines.join("\n")}`,
      );
      previous = index;
    }
  });

  it("logs invalid lines with their control bytes escaped and never writes a raw control byte", async (t) => {
    const server = await startServerFor(t);
    const client = await connectFor(t, server.port);
    const hostile = [
      "a\x1b[2Jb\x00\r\n",
      "\x07bell\x08back\x7fdel\r\n",
      Buffer.from([0xc2, 0x9b, 0x32, 0x4a, 0x9b, 0xff, 0x0d, 0x0d, 0x0a]),
      "tab\there\rcarriage\r\n",
    ];
    for (const line of hostile) {
      assert.equal((await client.request(line, INVALID.length)).toString("latin1"), INVALID);
    }
    const logged = await server.waitForLine(/Received invalid command/);
    assert.ok(
      logged.includes("a\\x1b[2Jb\\x00\\r"),
      `expected the escaped text a\\x1b[2Jb\\x00\\r in ${JSON.stringify(logged)}`,
    );
    await server.waitForLines(/Received invalid command/, hostile.length);

    await stopCleanly(server);
    assert.deepEqual(controlBytesIn(server.stdout), []);
  });

  it("writes one JSON object per line with --log-format json", async (t) => {
    const server = await startServerFor(t, ["--log-format", "json"]);
    const client = await connectFor(t, server.port);
    const port = client.socket.localPort;
    const reply = await client.askTime();
    await client.request("a\x1b[2Jb\x00\r\n", INVALID.length);
    await stopCleanly(server);

    assert.deepEqual(controlBytesIn(server.stdout), []);
    const records = server.lines.map((line): Record<string, unknown> => {
      try {
        return JSON.parse(line);
      } catch {
        return assert.fail(`not JSON: ${line}`);
      }
    });
    assert.ok(records.length > 0);
    for (const record of records) {
      assert.equal(typeof record.level, "number", JSON.stringify(record));
      assert.ok(record.time !== undefined, `no time in ${JSON.stringify(record)}`);
      assert.equal(typeof record.msg, "string", JSON.stringify(record));
    }
    const fromClient = { remoteAddress: "127.0.0.1", remotePort: port };
    assert.ok(
      records.some(
        (r) =>
          r.event === "received" &&
          r.command === "TIME" &&
          r.remoteAddress === fromClient.remoteAddress &&
          r.remotePort === fromClient.remotePort,
      ),
      "no received/TIME record",
    );
    assert.ok(
      records.some(
        (r) =>
          r.event === "sent" && r.reply === reply.slice(0, 12) && r.remoteAddress === "127.0.0.1",
      ),
      `no sent record for ${reply.slice(0, 12)}`,
    );
  });

  it("with --log-level warn logs only warnings and the server's lifecycle, port included", async (t) => {
    const { server, client } = await startQuietServerFor(t, [
      "--log-level",
      "warn",
      "--max-connections",
      "1",
    ]);
    assert.match(await client.askTime(), TIME_REPLY);
    // A connection over the limit is a warning: it must still be logged.
    const rejected = await connectFor(t, server.port, "127.0.0.1", { allowHalfOpen: false });
    assert.equal((await rejected.waitForEnd()).length, 0);
    await server.waitForLine(/\[WARN\] .*limit/);
    await stopCleanly(server);

    assert.deepEqual(
      server.lines.filter((line) => !/\[WARN\]/.test(line) && !LIFECYCLE.test(line)),
      [],
      "lines below warn were logged",
    );
    assert.ok(
      server.lines.some((line) => line.endsWith(`[INFO] Listening on 127.0.0.1:${server.port}`)),
      "the chosen port is printed at warn",
    );
  });

  it("with --log-level silent prints nothing at all, not even Listening on", async (t) => {
    const { server, client } = await startQuietServerFor(t, ["--log-level", "silent"]);
    assert.match(await client.askTime(), TIME_REPLY);
    assert.equal((await client.request("nope\r\n", INVALID.length)).toString("latin1"), INVALID);
    await stopCleanly(server);
    assert.equal(server.stdout.toString("latin1"), "");
    assert.equal(server.stderr, "");
  });

  it("takes the level from TIMESERVER_LOG_LEVEL when --log-level is absent", async (t) => {
    const { server, client } = await startQuietServerFor(t, [], { TIMESERVER_LOG_LEVEL: "warn" });
    assert.match(await client.askTime(), TIME_REPLY);
    await stopCleanly(server);
    assert.deepEqual(
      server.lines.filter((line) => !LIFECYCLE.test(line)),
      [],
      "only lifecycle lines at warn",
    );
  });

  it("lets --log-level win over TIMESERVER_LOG_LEVEL", async (t) => {
    const server = await startServerFor(t, ["--log-level", "info"], {
      TIMESERVER_LOG_LEVEL: "silent",
    });
    const client = await connectFor(t, server.port);
    await client.askTime();
    await server.waitForLine(/\[INFO\] Received: TIME from 127\.0\.0\.1$/);
  });
});
