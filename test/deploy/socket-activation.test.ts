/**
 * Socket activation for real: systemd-socket-activate binds the sockets,
 * execs node with LISTEN_FDS set (as systemd does for timeserver.service),
 * and the child discovers them with inheritedSockets, then serves on them.
 */

import assert from "node:assert/strict";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import dgram from "node:dgram";
import { once } from "node:events";
import net from "node:net";
import { createInterface } from "node:readline";
import { after, describe, it } from "node:test";

const SOCKET_ACTIVATE = "systemd-socket-activate";
const haveSocketActivate = spawnSync(SOCKET_ACTIVATE, ["--version"]).error === undefined;
const skip = haveSocketActivate
  ? false
  : "systemd-socket-activate is not installed (Debian package: systemd)";

const MODULE_URL = new URL("../../src/config/inherited-sockets.js", import.meta.url).href;

// The child: discover, prove the variables are gone (also for its own children), then serve.
const CHILD_SCRIPT = `
import { execFileSync } from "node:child_process";
import dgram from "node:dgram";
import net from "node:net";
import { inheritedSockets } from ${JSON.stringify(MODULE_URL)};
const sockets = inheritedSockets(process.env, process.pid);
const grandchildSees = execFileSync(process.execPath, [
  "-e", "console.log(Object.keys(process.env).filter((key) => key.startsWith('LISTEN_')).join(','))",
]).toString().trim();
for (const socket of sockets) {
  if (socket.kind === "stream") {
    net.createServer((connection) => connection.end(socket.name + " on fd " + socket.fd + "\\n")).listen({ fd: socket.fd });
  } else {
    const udp = dgram.createSocket(socket.family === 6 ? "udp6" : "udp4");
    udp.on("message", (message, from) => udp.send(socket.name + " got " + message, from.port, from.address));
    udp.bind({ fd: socket.fd });
  }
}
process.stdout.write(JSON.stringify({ sockets, grandchildSees }) + "\\n");
`;

interface Activated {
  child: ChildProcess;
  ports: number[];
  /** The child's one JSON line, once it has run. */
  report: Promise<unknown>;
}

const children: ChildProcess[] = [];
after(() => {
  for (const child of children)
    if (child.exitCode === null && child.signalCode === null) child.kill();
});

/**
 * Starts systemd-socket-activate on `count` loopback ports below 32768, picked
 * at random; a port already taken makes it exit, and then other ports are tried.
 */
async function activate(count: number, extraArgs: string[]): Promise<Activated> {
  for (let attempt = 0; attempt < 10; attempt++) {
    const first = 20000 + Math.floor(Math.random() * 12000);
    const ports = Array.from({ length: count }, (_, index) => first + index);
    const args = ports.flatMap((port) => ["-l", `127.0.0.1:${port}`]);
    const child = spawn(
      SOCKET_ACTIVATE,
      [...args, ...extraArgs, process.execPath, "--input-type=module", "-e", CHILD_SCRIPT],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    children.push(child);
    const report = new Promise<unknown>((resolve, reject) => {
      createInterface({ input: child.stdout! }).once("line", (line) => resolve(JSON.parse(line)));
      child.once("exit", (code) => reject(new Error(`child exited (${code}) before reporting`)));
    });
    report.catch(() => {});
    const listening = await new Promise<boolean>((resolve) => {
      let seen = 0;
      let stderr = "";
      createInterface({ input: child.stderr! }).on("line", (line) => {
        stderr += `${line}\n`;
        if (/^Listening on 127\.0\.0\.1:\d+ as \d+\.$/.test(line) && ++seen === count)
          resolve(true);
      });
      child.once("exit", () => {
        // Exiting before every "Listening" line means it could not bind: say why unless a port was taken.
        if (seen < count && !/Address already in use/i.test(stderr)) process.stderr.write(stderr);
        resolve(false);
      });
    });
    if (listening) return { child, ports, report };
  }
  throw new Error("no free loopback port pair found for systemd-socket-activate");
}

async function readAll(port: number): Promise<string> {
  const socket = net.connect(port, "127.0.0.1");
  let text = "";
  socket.setEncoding("utf8");
  socket.on("data", (chunk: string) => {
    text += chunk;
  });
  await once(socket, "end");
  socket.destroy();
  return text;
}

describe("socket activation through systemd-socket-activate", { skip }, () => {
  it("hands over named TCP listeners that Node then serves with listen({ fd })", async () => {
    const { child, ports, report } = await activate(2, ["--fdname=line:daytime"]);
    // The first connection is what makes systemd-socket-activate exec the child.
    assert.equal(await readAll(ports[0]!), "line on fd 3\n");
    assert.equal(await readAll(ports[1]!), "daytime on fd 4\n");
    assert.deepEqual(await report, {
      sockets: [
        { fd: 3, name: "line", kind: "stream", address: "127.0.0.1", port: ports[0], family: 4 },
        { fd: 4, name: "daytime", kind: "stream", address: "127.0.0.1", port: ports[1], family: 4 },
      ],
      grandchildSees: "",
    });
    child.kill();
  });

  it("treats a socket without --fdname as the line protocol", async () => {
    const { child, ports, report } = await activate(1, []);
    assert.equal(await readAll(ports[0]!), "line on fd 3\n");
    const { sockets } = (await report) as { sockets: unknown[] };
    assert.deepEqual(sockets, [
      { fd: 3, name: "line", kind: "stream", address: "127.0.0.1", port: ports[0], family: 4 },
    ]);
    child.kill();
  });

  it("hands over a UDP socket that Node then serves with bind({ fd })", async () => {
    const { child, ports, report } = await activate(1, ["--datagram", "--fdname=ntp"]);
    const client = dgram.createSocket("udp4");
    // The first datagram wakes systemd-socket-activate and waits in the socket for the child.
    client.send("ping", ports[0]!, "127.0.0.1");
    const [reply] = (await once(client, "message")) as [Buffer];
    client.close();
    assert.equal(reply.toString(), "ntp got ping");
    assert.deepEqual(await report, {
      sockets: [
        { fd: 3, name: "ntp", kind: "datagram", address: "127.0.0.1", port: ports[0], family: 4 },
      ],
      grandchildSees: "",
    });
    child.kill();
  });
});
