// The naive peer speaks the protocol: TIME gets a JAM line, anything else
// "Invalid command", QUIT closes. Real sockets, since it is a socket program.
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import net from "node:net";
import path from "node:path";
import { after, before, describe, it } from "node:test";

const script = path.resolve("bench", "naive", "naive-server.mjs");
let child: ChildProcess;
let port = 0;

before(async () => {
  child = spawn(process.execPath, [script, "0", "127.0.0.1"], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const [line] = (await once(child.stdout as NodeJS.ReadableStream, "data")) as [Buffer];
  port = Number(/:(\d+)/.exec(line.toString())?.[1]);
});

after(() => {
  child.kill();
});

describe("naive server", () => {
  it("answers TIME, rejects other lines and closes after QUIT", async () => {
    const socket = net.connect({ host: "127.0.0.1", port });
    socket.write("TIME\r\nHELLO\r\nQU");
    socket.write("IT\r\nTIME\r\n");
    const chunks: Buffer[] = [];
    socket.on("data", (chunk: Buffer) => chunks.push(chunk));
    await once(socket, "close");
    const text = Buffer.concat(chunks).toString("latin1");
    assert.match(text, /^JAM \d\d:\d\d:\d\d\r\nInvalid command\r\n$/);
  });
});
