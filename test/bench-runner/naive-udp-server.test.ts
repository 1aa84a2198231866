// The naive UDP peer answers what the load generator checks: an SNTP server
// reply echoing the client's transmit time, four RFC 868 bytes near now, and
// one printable daytime line. Real datagrams, since it is a socket program.
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import dgram from "node:dgram";
import { once } from "node:events";
import path from "node:path";
import { createInterface } from "node:readline";
import { after, before, describe, it } from "node:test";

const script = path.resolve("bench", "naive", "naive-udp-server.mjs");
const UNIX_TO_NTP = 2_208_988_800;
let child: ChildProcess;
const ports = new Map<string, number>();

before(async () => {
  child = spawn(process.execPath, [script, "0", "0", "0", "127.0.0.1"], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  for await (const line of lines) {
    const match = /^naive (\w+) on 127\.0\.0\.1:(\d+)$/.exec(line);
    if (match !== null) ports.set(match[1] as string, Number(match[2]));
    if (ports.size === 3) break;
  }
});

after(() => {
  child.kill();
});

async function ask(service: string, request: Buffer): Promise<Buffer> {
  const socket = dgram.createSocket("udp4");
  try {
    socket.send(request, ports.get(service), "127.0.0.1");
    const [reply] = (await once(socket, "message")) as [Buffer];
    return reply;
  } finally {
    socket.close();
  }
}

function nearNow(ntpSeconds: number): boolean {
  return Math.abs(ntpSeconds - (Math.floor(Date.now() / 1000) + UNIX_TO_NTP)) <= 5;
}

describe("naive UDP server", () => {
  it("answers an SNTP client request with a server reply that echoes its transmit time", async () => {
    const request = Buffer.alloc(48);
    request[0] = (4 << 3) | 3;
    request.write("ABCDEFGH", 40, "latin1");
    const reply = await ask("sntp", request);
    assert.equal(reply.length, 48);
    assert.equal(reply[0], (4 << 3) | 4);
    assert.equal(reply.subarray(24, 32).toString("latin1"), "ABCDEFGH");
    assert.ok(nearNow(reply.readUInt32BE(40)));
  });

  it("answers RFC 868 with four bytes of seconds since 1900", async () => {
    const reply = await ask("rfc868", Buffer.alloc(0));
    assert.equal(reply.length, 4);
    assert.ok(nearNow(reply.readUInt32BE(0)));
  });

  it("answers daytime with one printable line", async () => {
    const reply = (await ask("daytime", Buffer.alloc(0))).toString("latin1");
    assert.match(reply, /^[\x20-\x7e]+\r\n$/);
  });
});
