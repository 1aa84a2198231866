/**
 * One line-protocol connection attempt, for tests of refusals: it settles as
 * served once the server answers TIME, or as refused once it closes.
 */

import net from "node:net";

/** Connect and wait for the server to either keep the connection (it answers TIME) or close it. */
export function attempt(port: number): Promise<{ socket: net.Socket; served: boolean }> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host: "127.0.0.1" });
    let settled = false;
    const done = (served: boolean) => {
      if (settled) return;
      settled = true;
      resolve({ socket, served });
    };
    socket.on("connect", () => socket.write("TIME\r\n"));
    socket.on("data", () => done(true));
    socket.on("end", () => done(false));
    socket.on("close", () => done(false));
    socket.on("error", () => done(false));
  });
}
