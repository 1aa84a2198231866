/**
 * Load for log tests: many pipelined TIME requests over a few connections to
 * a server on a known port, counting the replies byte for byte.
 */

import type { ChildProcess } from "node:child_process";
import type net from "node:net";
import { TIME_REPLY_LENGTH as REPLY_BYTES } from "../../src/protocols/line/replies.js";
import { repeatRequest, TIME_REQUEST_BYTES } from "../../src/protocols/line/requests.js";
import { connectOnceListening } from "./server-process.js";

/** Connect once the server listens: each refused attempt is retried when its error arrives. */
export function connectWhenListening(port: number, child: ChildProcess): Promise<net.Socket> {
  return connectOnceListening(port, () => child.exitCode !== null || child.signalCode !== null);
}

/**
 * Send `requests` TIME requests pipelined on `socket`, resolve with the number
 * of replies once all have arrived, then close the connection and wait for
 * the close. Rejects if the connection ends first.
 */
export function pipelineTimes(socket: net.Socket, requests: number): Promise<number> {
  return new Promise((resolve, reject) => {
    let received = 0;
    const expected = requests * REPLY_BYTES;
    socket.on("data", (chunk: Buffer) => {
      received += chunk.length;
      if (received === expected) {
        socket.end();
        socket.once("close", () => resolve(received / REPLY_BYTES));
      }
    });
    socket.once("error", reject);
    socket.once("end", () => {
      if (received < expected)
        reject(new Error(`connection ended after ${received / REPLY_BYTES} replies`));
    });
    const batch = 1000;
    let sent = 0;
    const sendMore = () => {
      while (sent < requests) {
        const n = Math.min(batch, requests - sent);
        sent += n;
        if (!socket.write(repeatRequest(TIME_REQUEST_BYTES, n))) {
          socket.once("drain", sendMore);
          return;
        }
      }
    };
    sendMore();
  });
}
