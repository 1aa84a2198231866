/**
 * One connection before the load starts, so an unreachable server is one
 * clear error ("cannot connect to 127.0.0.1:45000: connection refused")
 * instead of thousands of counted failures.
 */

import net from "node:net";
import { describeSystemError, formatHostPort, TimeServerError } from "../errors.js";

const PROBE_TIMEOUT_MS = 5000;

export function probeServer(host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port });
    const fail = (reason: string, cause?: unknown) => {
      socket.destroy();
      reject(
        new TimeServerError(
          "TS_ERR_CONNECT",
          `cannot connect to ${formatHostPort(host, port)}: ${reason}`,
          { cause },
        ),
      );
    };
    socket.setTimeout(PROBE_TIMEOUT_MS, () => fail("timed out"));
    socket.once("error", (error) => fail(describeSystemError(error), error));
    socket.once("connect", () => {
      socket.destroy();
      resolve();
    });
  });
}
