/**
 * A real HAProxy (`haproxy -f cfg -db`) in front of a timeserver, as a child
 * process with its config in a temp directory: one frontend whose backend
 * sends PROXY v1 (`send-proxy`), one whose backend sends v2
 * (`send-proxy-v2`). Ready once a client got through each frontend.
 */

import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import { writeFileSync } from "node:fs";
import net from "node:net";
import { join } from "node:path";
import { pickFixedPort } from "./server-process.js";
import { scratchDir } from "./tls-files.js";

export const haveHaproxy = spawnSync("haproxy", ["-v"]).error === undefined;

export interface RunningHaproxy {
  child: ChildProcess;
  /** Frontend whose backend sends a PROXY v1 header. */
  v1Port: number;
  /** Frontend whose backend sends a PROXY v2 header. */
  v2Port: number;
  output(): string;
}

export function haproxyConfig(v1Port: number, v2Port: number, serverPort: number): string {
  return `global
    maxconn 256

defaults
    mode tcp
    timeout connect 5s
    timeout client 30s
    timeout server 30s

frontend line_v1
    bind 127.0.0.1:${v1Port}
    default_backend timeserver_v1

backend timeserver_v1
    server s1 127.0.0.1:${serverPort} send-proxy

frontend line_v2
    bind 127.0.0.1:${v2Port}
    default_backend timeserver_v2

backend timeserver_v2
    server s2 127.0.0.1:${serverPort} send-proxy-v2
`;
}

/**
 * Start HAProxy in front of `serverPort` (killed when the test ends). Its
 * frontends bind fixed loopback ports below the ephemeral range; if one is
 * taken between the check and the bind, another pair is tried.
 */
export async function startHaproxy(
  t: { after(fn: () => unknown): void },
  serverPort: number,
): Promise<RunningHaproxy> {
  const dir = scratchDir(t, "timeserver-haproxy-");
  for (let attempt = 0; attempt < 5; attempt++) {
    const v1Port = await pickFixedPort();
    let v2Port = await pickFixedPort();
    while (v2Port === v1Port) v2Port = await pickFixedPort();
    const path = join(dir, `haproxy-${attempt}.cfg`);
    writeFileSync(path, haproxyConfig(v1Port, v2Port, serverPort));
    const child = spawn("haproxy", ["-f", path, "-db"], { stdio: ["ignore", "pipe", "pipe"] });
    t.after(() => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    });
    let log = "";
    child.stdout!.on("data", (chunk: Buffer) => {
      log += chunk.toString();
    });
    child.stderr!.on("data", (chunk: Buffer) => {
      log += chunk.toString();
    });
    const exited = once(child, "exit").then(() => false);
    const up = await Promise.race([
      Promise.all([acceptsOn(v1Port, child), acceptsOn(v2Port, child)]).then(() => true),
      exited,
    ]);
    if (up) return { child, v1Port, v2Port, output: () => log };
    if (!/cannot bind|Address already in use/i.test(log)) {
      throw new Error(`haproxy did not start: ${log}`);
    }
  }
  throw new Error("haproxy: no free pair of frontend ports");
}

/**
 * Resolves once a connection to `port` is accepted. HAProxy says nothing when
 * it has bound (in -db mode), so each refusal is retried shortly after it is
 * reported.
 */
function acceptsOn(port: number, child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    const attempt = () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const socket = net.connect({ port, host: "127.0.0.1" });
      socket.once("connect", () => {
        socket.destroy();
        resolve();
      });
      socket.once("error", () => {
        socket.destroy();
        setTimeout(attempt, 10);
      });
    };
    attempt();
  });
}
