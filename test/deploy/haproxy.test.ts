/**
 * deploy/haproxy/haproxy.cfg: HAProxy accepts it (as written and with the
 * ports rewritten), and run for real in front of three stand-in replicas it
 * prefixes every client connection with a PROXY v2 header carrying the
 * client's address, health-checks in the protocol (LOCAL header, TIME, JAM,
 * QUIT), and takes out a replica whose reply is not JAM.
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

const PROXY_V2_SIGNATURE = Buffer.from("0d0a0d0a000d0a515549540a", "hex");

const scratch = mkdtempSync(join(tmpdir(), "timeserver-haproxy-"));
const running: ChildProcess[] = [];
after(() => {
  for (const child of running)
    if (child.exitCode === null && child.signalCode === null) child.kill();
  rmSync(scratch, { recursive: true, force: true });
});

/** The config with the frontend and replica ports (and optionally the check interval) replaced. */
function rewrite(frontend: number, replicas: number[], inter?: string): string {
  const text = readFileSync(CONFIG, "utf8")
    .replace(/^(\s*bind :)45000$/m, `$1${frontend}`)
    .replace(
      /127\.0\.0\.1:4500([123]) check/g,
      (_, n: string) => `127.0.0.1:${replicas[Number(n) - 1]} check`,
    );
  return inter === undefined ? text : text.replace(/ inter 2s /, ` inter ${inter} `);
}

function haproxyCheck(text: string): { status: number | null; output: string } {
  const path = join(scratch, `check-${Math.random().toString(16).slice(2)}.cfg`);
  writeFileSync(path, text);
  const result = spawnSync("haproxy", ["-c", "-f", path], { encoding: "utf8" });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

/** What one connection to a stand-in replica brought: its PROXY header, then its lines. */
interface Arrival {
  command: "LOCAL" | "PROXY";
  source?: { address: string; port: number };
  lines: string[];
}

/**
 * A stand-in timeserver with --proxy-protocol: reads one PROXY v2 header
 * (refusing connections without one), then answers TIME with `reply` and
 * closes on QUIT.
 */
class Replica {
  readonly server = net.createServer((socket) => this.serve(socket));
  readonly arrivals: Arrival[] = [];
  private waiters: (() => void)[] = [];

  constructor(readonly reply: string) {}

  async listen(): Promise<number> {
    this.server.listen(0, "127.0.0.1");
    await once(this.server, "listening");
    return (this.server.address() as net.AddressInfo).port;
  }

  /** Resolves once some arrival matches. */
  waitFor(match: (arrival: Arrival) => boolean): Promise<Arrival> {
    return new Promise((resolve) => {
      const check = () => {
        const found = this.arrivals.find(match);
        if (found === undefined) this.waiters.push(check);
        else resolve(found);
      };
      check();
    });
  }

  private changed(): void {
    for (const waiter of this.waiters.splice(0)) waiter();
  }

  private serve(socket: net.Socket): void {
    let buffered = Buffer.alloc(0);
    let arrival: Arrival | undefined;
    socket.on("error", () => {});
    socket.on("data", (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      if (arrival === undefined) {
        if (buffered.length < 16) return;
        if (!buffered.subarray(0, 12).equals(PROXY_V2_SIGNATURE)) return void socket.destroy();
        const length = 16 + buffered.readUInt16BE(14);
        if (buffered.length < length) return;
        const command = buffered[12]! & 0x0f;
        arrival = { command: command === 1 ? "PROXY" : "LOCAL", lines: [] };
        if (command === 1 && buffered[13] === 0x11) {
          const source = buffered.subarray(16, 20).join(".");
          arrival.source = { address: source, port: buffered.readUInt16BE(24) };
        }
        buffered = buffered.subarray(length);
        this.arrivals.push(arrival);
      }
      for (let end = buffered.indexOf("\n"); end >= 0; end = buffered.indexOf("\n")) {
        const line = buffered.subarray(0, end + 1).toString("latin1");
        buffered = buffered.subarray(end + 1);
        arrival.lines.push(line);
        if (line === "TIME\r\n") socket.write(this.reply);
        if (line === "QUIT\r\n") socket.end();
      }
      this.changed();
    });
  }
}

async function ask(port: number): Promise<{ reply: string; localPort: number }> {
  const socket = net.connect(port, "127.0.0.1");
  await once(socket, "connect");
  const localPort = socket.localPort!;
  socket.write("TIME\r\nQUIT\r\n");
  let reply = "";
  socket.setEncoding("utf8");
  socket.on("data", (chunk: string) => {
    reply += chunk;
  });
  await once(socket, "end");
  socket.destroy();
  return { reply, localPort };
}

describe("deploy/haproxy/haproxy.cfg", { skip }, () => {
  it("is valid as written and with its ports rewritten", () => {
    const asWritten = spawnSync("haproxy", ["-c", "-f", CONFIG], { encoding: "utf8" });
    assert.equal(asWritten.status, 0, `${asWritten.stdout}${asWritten.stderr}`);
    const rewritten = rewrite(20100, [20101, 20102, 20103]);
    assert.match(rewritten, /bind :20100\n/);
    assert.equal(rewritten.match(/127\.0\.0\.1:2010[123] check/g)?.length, 3);
    const result = haproxyCheck(rewritten);
    assert.equal(result.status, 0, result.output);
  });

  it("sends PROXY v2 with the client's address, checks with TIME, and drops a bad replica", async () => {
    const replicas = [new Replica("JAM 12:34:56\r\n"), new Replica("JAM 12:34:56\r\n")];
    replicas.push(new Replica("Invalid command\r\n"));
    const ports = await Promise.all(replicas.map((replica) => replica.listen()));
    after(() => {
      for (const replica of replicas) replica.server.close();
    });

    // A frontend port below 32768, picked at random; another one if it is taken.
    let haproxy: ChildProcess | undefined;
    let frontend = 0;
    let log = "";
    for (let attempt = 0; attempt < 10 && haproxy === undefined; attempt++) {
      frontend = 20000 + Math.floor(Math.random() * 12000);
      const path = join(scratch, `run-${attempt}.cfg`);
      writeFileSync(path, rewrite(frontend, ports, "100ms"));
      const child = spawn("haproxy", ["-db", "-f", path], { stdio: ["ignore", "pipe", "pipe"] });
      running.push(child);
      log = "";
      child.stdout!.on("data", (chunk: Buffer) => {
        log += chunk.toString();
      });
      child.stderr!.on("data", (chunk: Buffer) => {
        log += chunk.toString();
      });
      // Health checks start only once HAProxy has bound its frontend: the first is the sign it is up.
      const up = await Promise.race([
        replicas[0]!.waitFor((arrival) => arrival.command === "LOCAL").then(() => true),
        once(child, "exit").then(() => false),
      ]);
      if (up) haproxy = child;
      else assert.match(log, /cannot bind|Address already in use/i, log);
    }
    assert.ok(haproxy !== undefined, "HAProxy never started");

    // Health checks: a LOCAL header, then the protocol; good replicas got their QUIT.
    for (const replica of replicas.slice(0, 2)) {
      const check = await replica.waitFor(
        (arrival) => arrival.command === "LOCAL" && arrival.lines.length === 2,
      );
      assert.deepEqual(check.lines, ["TIME\r\n", "QUIT\r\n"]);
    }
    const badCheck = await replicas[2]!.waitFor((arrival) => arrival.command === "LOCAL");
    assert.equal(badCheck.lines[0], "TIME\r\n");

    // The replica answering "Invalid command" fails `expect rstring ^JAM` and is taken out.
    await new Promise<void>((resolve) => {
      const look = () => {
        if (/replica3 is DOWN/.test(log)) {
          haproxy.stdout!.off("data", look);
          resolve();
        }
      };
      haproxy.stdout!.on("data", look);
      look();
    });

    // Clients now reach only the good replicas, each behind a header naming the client.
    for (let client = 0; client < 6; client++) {
      const { reply, localPort } = await ask(frontend);
      assert.equal(reply, "JAM 12:34:56\r\n");
      const served = replicas.map((replica) =>
        replica.arrivals.find((arrival) => arrival.source?.port === localPort),
      );
      assert.equal(served[2], undefined);
      const arrival = served[0] ?? served[1];
      assert.ok(arrival !== undefined, "no replica saw the client's PROXY header");
      assert.deepEqual(arrival, {
        command: "PROXY",
        source: { address: "127.0.0.1", port: localPort },
        lines: ["TIME\r\n", "QUIT\r\n"],
      });
    }
    haproxy.kill();
  });
});
