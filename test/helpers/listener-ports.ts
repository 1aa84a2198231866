/**
 * Runs the real `timeserver` with several listeners on port 0 and learns
 * every bound port from its "Listening on" lines (each listener picks its own
 * port, so the first line alone does not say which is which).
 */

import { spawn } from "node:child_process";
import { SERVER_BIN, ServerProcess } from "./server-process.js";

export interface ListenerPorts {
  line?: number;
  tls?: number;
  daytime?: number;
  daytimeUdp?: number;
  rfc868?: number;
  rfc868Udp?: number;
  ntp?: number;
}

const PORT_FLAGS: Record<string, (keyof ListenerPorts)[]> = {
  "--tls-port": ["tls"],
  "--daytime-port": ["daytime", "daytimeUdp"],
  "--rfc868-port": ["rfc868", "rfc868Udp"],
  "--ntp-port": ["ntp"],
};

/** The listeners `args` asks for: the line protocol always, plus one per protocol flag. */
function expectedListeners(args: readonly string[]): number {
  let count = 1;
  for (const [flag, names] of Object.entries(PORT_FLAGS))
    if (args.includes(flag)) count += names.length;
  return count;
}

/** "Listening on 127.0.0.1:4321 (daytime, UDP, native)" → ["daytimeUdp", 4321]. */
function parseListening(line: string): [keyof ListenerPorts, number] | undefined {
  const match = /Listening on .*:(\d+)(?: \((\w+)(, UDP)?(?:, \w+)?\))?$/.exec(line);
  if (match === null) return undefined;
  const port = Number(match[1]);
  const protocol = match[2] ?? "line";
  const udp = match[3] !== undefined;
  const name = (udp ? `${protocol === "ntp" ? "ntp" : `${protocol}Udp`}` : protocol) as
    | keyof ListenerPorts
    | undefined;
  return name === undefined ? undefined : [name, port];
}

export interface StartedServer {
  server: ServerProcess;
  ports: ListenerPorts;
}

/**
 * Start `timeserver --host 127.0.0.1 --port 0 ...args` (host and port may be
 * overridden in `args`), wait for every listener's "Listening on" line, and
 * kill the server when the test (or suite) ends.
 */
export async function startListeners(
  t: { after(fn: () => unknown): void },
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<StartedServer> {
  const full = [
    ...(args.includes("--host") ? [] : ["--host", "127.0.0.1"]),
    ...(args.includes("--port") ? [] : ["--port", "0"]),
    ...args,
  ];
  const child = spawn(process.execPath, [SERVER_BIN, ...full], {
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const server = new ServerProcess(child);
  t.after(() => server.kill());
  const lines = await server.waitForLines(/Listening on /, expectedListeners(full));
  const ports: ListenerPorts = {};
  for (const line of lines) {
    const parsed = parseListening(line);
    if (parsed !== undefined) ports[parsed[0]] = parsed[1];
  }
  server.port = ports.line ?? 0;
  return { server, ports };
}

/** The port, or a failed assertion naming the listener that did not start. */
export function portOf(ports: ListenerPorts, name: keyof ListenerPorts): number {
  const port = ports[name];
  if (port === undefined) throw new Error(`no ${name} listener in ${JSON.stringify(ports)}`);
  return port;
}

/**
 * Cleanup for things a suite's `before` hook starts: pass it where a test
 * context is expected, and call `run` from the suite's `after`.
 */
export class Cleanups {
  private readonly fns: (() => unknown)[] = [];

  after(fn: () => unknown): void {
    this.fns.push(fn);
  }

  async run(): Promise<void> {
    for (const fn of this.fns.splice(0).reverse()) await fn();
  }
}
