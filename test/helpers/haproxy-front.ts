/**
 * A real `haproxy -db` running deploy/haproxy/haproxy.cfg with only its port
 * numbers changed, in front of replicas the test started; and a client that
 * connects through it from a chosen loopback address. HAProxy's own log
 * (stdout, `log stdout format raw`) is kept so tests can wait on what it
 * noticed (a server marked DOWN) instead of on time.
 */

import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const HAPROXY_CONFIG = fileURLToPath(
  new URL("../../../deploy/haproxy/haproxy.cfg", import.meta.url),
);
export const haveHaproxy = spawnSync("haproxy", ["-v"]).error === undefined;

/** The shipped config with the frontend port and the three replica ports replaced, nothing else. */
export function rewriteHaproxyConfig(frontend: number, replicas: readonly number[]): string {
  const text = readFileSync(HAPROXY_CONFIG, "utf8");
  let replaced = 0;
  const rewritten = text
    .replace(/^(\s*bind :)45000$/m, (_, bind: string) => {
      replaced++;
      return `${bind}${frontend}`;
    })
    .replace(
      /^(\s*server replica[123] 127\.0\.0\.1:)4500([123])\b/gm,
      (_, head: string, n: string) => {
        replaced++;
        return `${head}${replicas[Number(n) - 1]}`;
      },
    );
  if (replaced !== 4) {
    throw new Error("deploy/haproxy/haproxy.cfg no longer has the four ports this test rewrites");
  }
  return rewritten;
}

export class Haproxy {
  log = "";
  private waiters: (() => void)[] = [];

  constructor(
    readonly child: ChildProcess,
    readonly frontend: number,
  ) {
    const keep = (chunk: Buffer) => {
      this.log += chunk.toString();
      for (const waiter of this.waiters.splice(0)) waiter();
    };
    child.stdout!.on("data", keep);
    child.stderr!.on("data", keep);
    child.on("exit", () => {
      for (const waiter of this.waiters.splice(0)) waiter();
    });
  }

  /** Resolves once HAProxy's log matches `pattern`; rejects if it exits first. */
  waitForLog(pattern: RegExp): Promise<string> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const match = pattern.exec(this.log);
        if (match) resolve(match[0]);
        else if (this.child.exitCode !== null || this.child.signalCode !== null)
          reject(new Error(`haproxy exited before logging ${pattern}:\n${this.log}`));
        else this.waiters.push(check);
      };
      check();
    });
  }

  stop(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill();
  }
}

/**
 * Start HAProxy on a frontend port below 32768 (another one if it is taken)
 * and resolve once the frontend accepts connections.
 */
export async function startHaproxyFor(
  t: { after(fn: () => unknown): void },
  replicas: readonly number[],
): Promise<Haproxy> {
  const scratch = mkdtempSync(join(tmpdir(), "timeserver-operate-haproxy-"));
  t.after(() => rmSync(scratch, { recursive: true, force: true }));
  for (let attempt = 0; attempt < 10; attempt++) {
    const frontend = 20000 + Math.floor(Math.random() * 12000);
    const path = join(scratch, `haproxy-${attempt}.cfg`);
    writeFileSync(path, rewriteHaproxyConfig(frontend, replicas));
    const child = spawn("haproxy", ["-db", "-f", path], { stdio: ["ignore", "pipe", "pipe"] });
    const haproxy = new Haproxy(child, frontend);
    t.after(() => haproxy.stop());
    if (await acceptsConnections(frontend, child)) return haproxy;
    if (!/cannot bind|Address already in use/i.test(haproxy.log)) {
      throw new Error(`haproxy did not start:\n${haproxy.log}`);
    }
  }
  throw new Error("no free frontend port for haproxy");
}

/** Connect until the port accepts (each refusal retried when its error arrives), or the child exits. */
function acceptsConnections(port: number, child: ChildProcess): Promise<boolean> {
  return new Promise((resolve) => {
    let exited = false;
    child.once("exit", () => {
      exited = true;
      resolve(false);
    });
    const attempt = () => {
      if (exited) return;
      const socket = net.connect({ host: "127.0.0.1", port });
      socket.once("connect", () => {
        socket.destroy();
        resolve(true);
      });
      socket.once("error", () => {
        socket.destroy();
        setImmediate(attempt);
      });
    };
    attempt();
  });
}

export interface Asked {
  /** The reply, or undefined when the connection ended without one (refused behind the proxy). */
  reply: string | undefined;
  localPort: number;
}

/** One client through the proxy from `localAddress`: TIME, and the 14-byte reply or the close. */
export function askThrough(port: number, localAddress: string): Promise<Asked> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: "127.0.0.1", port, localAddress });
    let received = "";
    let localPort = 0;
    let settled = false;
    const settle = () => {
      if (settled) return;
      settled = true;
      socket.destroy();
      resolve({ reply: received.length >= 14 ? received.slice(0, 14) : undefined, localPort });
    };
    socket.setEncoding("latin1");
    socket.on("connect", () => {
      localPort = socket.localPort as number;
      socket.write("TIME\r\n");
    });
    socket.on("data", (chunk: string) => {
      received += chunk;
      if (received.length >= 14) settle();
    });
    socket.on("end", settle);
    socket.on("close", settle);
    socket.on("error", () => {});
  });
}
