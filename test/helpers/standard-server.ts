/**
 * Runs the real `timeserver` with the standard protocols on: daytime and RFC
 * 868 on one port number each (TCP and UDP), SNTP on a third (UDP). Those
 * ports are fixed numbers the test picks, so a start that loses a port to
 * someone else is retried on fresh ports. Resolves once every listener has
 * logged its "Listening on" line; the line protocol's port (0, so the
 * kernel's choice) is read from its own line, the one without a suffix.
 */

import { spawn } from "node:child_process";
import { pickDualPorts } from "./dual-port.js";
import { SERVER_BIN, ServerProcess } from "./server-process.js";

export interface StandardServer {
  server: ServerProcess;
  /** The line protocol's TCP port. */
  linePort: number;
  daytimePort: number;
  rfc868Port: number;
  ntpPort: number;
}

/** line + daytime (TCP, UDP) + rfc868 (TCP, UDP) + ntp (UDP). */
const LISTENERS = 6;
const LINE_LISTENING = /Listening on 127\.0\.0\.1:(\d+)$/;

export async function startStandardServerFor(
  t: { after(fn: () => unknown): void },
  extraArgs: string[] = [],
  env: NodeJS.ProcessEnv = {},
): Promise<StandardServer> {
  for (let attempt = 0; ; attempt++) {
    const [daytimePort, rfc868Port, ntpPort] = (await pickDualPorts(3)) as [number, number, number];
    const child = spawn(
      process.execPath,
      [
        SERVER_BIN,
        "--host",
        "127.0.0.1",
        "--port",
        "0",
        "--daytime-port",
        String(daytimePort),
        "--rfc868-port",
        String(rfc868Port),
        "--ntp-port",
        String(ntpPort),
        ...extraArgs,
      ],
      { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] },
    );
    const server = new ServerProcess(child);
    try {
      await server.waitForLines(/Listening on /, LISTENERS);
    } catch (error) {
      await server.exited;
      if (/in use/.test(server.stderr) && attempt < 5) continue;
      throw error;
    }
    t.after(() => server.kill());
    const line = server.lines.find((candidate) => LINE_LISTENING.test(candidate)) as string;
    const linePort = Number(LINE_LISTENING.exec(line)?.[1]);
    server.port = linePort;
    return { server, linePort, daytimePort, rfc868Port, ntpPort };
  }
}
