/**
 * timeclient's connection against scripted servers over real sockets: what
 * it hands back for each kind of reply line, however the server cuts its
 * writes, and how it refuses what it must not send or accept.
 */

import assert from "node:assert/strict";
import net, { type AddressInfo } from "node:net";
import { describe, it } from "node:test";
import { LineConnection } from "../../src/client/line-connection.js";
import { TimeServerError } from "../../src/errors.js";
import type { CleanupContext } from "../helpers/wire-client.js";

/**
 * A server that answers each line it receives with the next of `answers`,
 * each answer written as the given pieces (one write per piece, so a reply
 * can arrive cut), and records what it received.
 */
async function scriptedServer(
  t: CleanupContext,
  answers: readonly (readonly string[])[],
): Promise<{ port: number; received: () => string }> {
  let received = "";
  const server = net.createServer((socket) => {
    let next = 0;
    socket.on("data", (chunk: Buffer) => {
      received += chunk.toString("latin1");
      const lines = received.split("\n").length - 1;
      while (next < lines && next < answers.length) {
        for (const piece of answers[next] as readonly string[]) {
          socket.write(Buffer.from(piece, "latin1"));
        }
        next++;
      }
    });
    socket.on("error", () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  t.after(() => server.close());
  return { port: (server.address() as AddressInfo).port, received: () => received };
}

async function connect(t: CleanupContext, port: number): Promise<LineConnection> {
  const connection = await LineConnection.connect({ host: "127.0.0.1", port, timeoutMs: 10_000 });
  t.after(() => connection.destroy());
  return connection;
}

describe("LineConnection", () => {
  it("sends each line with CRLF and hands back each reply without its line ending", async (t) => {
    const server = await scriptedServer(t, [
      ["JAM 12:34:56\r\n"],
      ["Invalid command\r\n"],
      ["JAM 24:00:00\r\n"],
      ["not a reply\n"],
    ]);
    const connection = await connect(t, server.port);
    const replies: (string | null)[] = [];
    for (const line of ["TIME", "hello", "TIME", "TIME"]) {
      connection.send(line);
      replies.push(await connection.nextLine());
    }
    assert.deepEqual(replies, ["JAM 12:34:56", "Invalid command", "JAM 24:00:00", "not a reply"]);
    assert.equal(server.received(), "TIME\r\nhello\r\nTIME\r\nTIME\r\n");
  });

  it("puts a reply cut across writes back together", async (t) => {
    const server = await scriptedServer(t, [["J", "AM 12:3", "4:56\r", "\nInvalid command\r\n"]]);
    const connection = await connect(t, server.port);
    connection.send("TIME");
    assert.equal(await connection.nextLine(), "JAM 12:34:56");
    assert.equal(await connection.nextLine(), "Invalid command");
  });

  it("gives up on a server that sends a reply line longer than 64 KiB, with an error", async (t) => {
    const server = await scriptedServer(t, [["x".repeat(70 * 1024)]]);
    const connection = await connect(t, server.port);
    connection.send("TIME");
    assert.equal(await connection.nextLine(), null);
    assert.ok(connection.error instanceof TimeServerError);
    assert.match(connection.error.message, /longer than 65536 bytes/);
  });

  it("refuses to send a line with a line break inside, sending nothing", async (t) => {
    const server = await scriptedServer(t, [["JAM 12:34:56\r\n"]]);
    const connection = await connect(t, server.port);
    assert.throws(
      () => connection.send("TIME\nQUIT"),
      (error: unknown) => error instanceof TimeServerError && error.code === "TS_ERR_CONFIG",
    );
    connection.send("TIME");
    assert.equal(await connection.nextLine(), "JAM 12:34:56");
    assert.equal(server.received(), "TIME\r\n");
  });
});
