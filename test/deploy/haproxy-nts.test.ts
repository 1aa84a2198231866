/**
 * deploy/haproxy/haproxy.cfg's opt-in NTS-KE block (the "#| " lines): once
 * uncommented HAProxy accepts it, and run for real in front of stand-in
 * replicas it passes a client's bytes through untouched, with no PROXY
 * header in front of the TLS ClientHello. As written the block stays
 * commented, so no test binds 4460.
 */

import assert from "node:assert/strict";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { fileURLToPath } from "node:url";

const CONFIG = fileURLToPath(new URL("../../../deploy/haproxy/haproxy.cfg", import.meta.url));
const haveHaproxy = spawnSync("haproxy", ["-v"]).error === undefined;
const skip = haveHaproxy ? false : "haproxy is not installed (Debian package: haproxy)";

const scratch = mkdtempSync(join(tmpdir(), "timeserver-haproxy-nts-"));
const running: ChildProcess[] = [];
after(() => {
  for (const child of running)
    if (child.exitCode === null && child.signalCode === null) child.kill();
  rmSync(scratch, { recursive: true, force: true });
});

const written = readFileSync(CONFIG, "utf8");
/** The config with the NTS-KE block uncommented. */
const enabled = written.replace(/^#\| ?/gm, "");
const block = written
  .split("\n")
  .filter((line) => line.startsWith("#|"))
  .map((line) => line.replace(/^#\| ?/, ""))
  .join("\n");

/**
 * Both frontends and the NTS-KE replicas moved to the given ports, and the
 * line protocol's replicas to `refused`.
 */
function rewrite(line: number, ntsKe: number, replicas: number[], refused: number): string {
  return enabled
    .replace(/^(\s*bind :)45000$/m, `$1${line}`)
    .replace(/127\.0\.0\.1:4500[123] check/g, `127.0.0.1:${refused} check`)
    .replace(/^(\s*bind :)4460$/m, `$1${ntsKe}`)
    .replace(
      /127\.0\.0\.1:4460([123]) check/g,
      (_, n: string) => `127.0.0.1:${replicas[Number(n) - 1]} check`,
    );
}

function haproxyCheck(text: string): { status: number | null; output: string } {
  const path = join(scratch, `check-${Math.random().toString(16).slice(2)}.cfg`);
  writeFileSync(path, text);
  const result = spawnSync("haproxy", ["-c", "-f", path], { encoding: "utf8" });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

/** A stand-in NTS-KE replica: keeps what each connection sent, echoes it back. */
class Replica {
  readonly received: Buffer[] = [];
  readonly server = net.createServer((socket) => {
    socket.on("error", () => {});
    socket.once("data", (chunk: Buffer) => {
      this.received.push(chunk);
      socket.end(chunk);
    });
  });

  async listen(): Promise<number> {
    this.server.listen(0, "127.0.0.1");
    await once(this.server, "listening");
    return (this.server.address() as net.AddressInfo).port;
  }
}

/** Sends `bytes`, resolves with everything the far end sent back before closing. */
async function exchange(port: number, bytes: Buffer): Promise<Buffer> {
  const socket = net.connect(port, "127.0.0.1");
  const chunks: Buffer[] = [];
  socket.on("data", (chunk: Buffer) => chunks.push(chunk));
  await once(socket, "connect");
  socket.write(bytes);
  await once(socket, "close");
  return Buffer.concat(chunks);
}

describe("deploy/haproxy/haproxy.cfg NTS-KE block", { skip }, () => {
  it("is commented out as written, and valid once uncommented", () => {
    assert.doesNotMatch(written, /^\s*bind :4460/m, "a live 4460 frontend");
    assert.match(block, /^frontend nts_ke$/m);
    assert.match(block, /^\s*bind :4460$/m);
    assert.equal(block.match(/127\.0\.0\.1:4460[123] check/g)?.length, 3);
    assert.doesNotMatch(block, /send-proxy/, "PROXY headers would break the TLS handshake");
    assert.doesNotMatch(block, /mode http|ssl /, "TLS must pass through");
    const result = haproxyCheck(enabled);
    assert.equal(result.status, 0, result.output);
  });

  it("passes the client's bytes through untouched, with no PROXY header", async () => {
    const replicas = [new Replica(), new Replica(), new Replica()];
    const ports = await Promise.all(replicas.map((replica) => replica.listen()));
    after(() => {
      for (const replica of replicas) replica.server.close();
    });

    const closed = net.createServer().listen(0, "127.0.0.1");
    await once(closed, "listening");
    const refused = (closed.address() as net.AddressInfo).port;
    closed.close();

    // Frontend ports below 32768, picked at random; others if either is taken.
    let haproxy: ChildProcess | undefined;
    let frontend = 0;
    let log = "";
    for (let attempt = 0; attempt < 10 && haproxy === undefined; attempt++) {
      const line = 20000 + Math.floor(Math.random() * 6000);
      frontend = 26000 + Math.floor(Math.random() * 6000);
      const path = join(scratch, `run-${attempt}.cfg`);
      writeFileSync(path, rewrite(line, frontend, ports, refused));
      const child = spawn("haproxy", ["-db", "-f", path], { stdio: ["ignore", "pipe", "pipe"] });
      running.push(child);
      log = "";
      for (const stream of [child.stdout!, child.stderr!])
        stream.on("data", (chunk: Buffer) => {
          log += chunk.toString();
        });
      // Health checks start once the frontends are bound, and a TCP connect
      // check never reaches a Node server's accept: the sign HAProxy is up is
      // the line protocol's replicas, all on a closed port, going DOWN.
      const up = await Promise.race([
        new Promise<boolean>((resolve) => {
          const look = () => {
            if (/timeserver_replicas\/replica1 is DOWN/.test(log)) resolve(true);
          };
          child.stdout!.on("data", look);
          child.stderr!.on("data", look);
        }),
        once(child, "exit").then(() => false),
      ]);
      if (up) haproxy = child;
      else assert.match(log, /cannot bind|Address already in use/i, log);
    }
    assert.ok(haproxy !== undefined, "HAProxy never started");

    // The start of a TLS 1.3 ClientHello record, then some bytes of the handshake.
    const hello = Buffer.concat([Buffer.from("160301002a0100002603", "hex"), Buffer.alloc(32, 7)]);
    for (let client = 0; client < 3; client++) {
      const reply = await exchange(frontend, hello);
      assert.deepEqual(reply, hello);
    }
    const arrived = replicas.flatMap((replica) => replica.received);
    assert.equal(arrived.length, 3);
    for (const bytes of arrived) assert.deepEqual(bytes, hello, "changed on the way");
    haproxy.kill();
  });
});
