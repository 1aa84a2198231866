/**
 * A loopback port number free for both TCP and UDP right now, below the
 * ephemeral range (so no client socket of any test holds it): the daytime
 * and RFC 868 listeners bind one number on both transports. Someone may take
 * it before the server does, so callers retry on "address already in use".
 */

import dgram from "node:dgram";
import net from "node:net";

function tcpFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = net.createServer();
    probe.once("error", () => resolve(false));
    probe.listen({ host: "127.0.0.1", port }, () => probe.close(() => resolve(true)));
  });
}

function udpFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = dgram.createSocket("udp4");
    probe.once("error", () => {
      probe.close();
      resolve(false);
    });
    probe.bind({ address: "127.0.0.1", port }, () => probe.close(() => resolve(true)));
  });
}

/** `count` distinct ports, each free on TCP and UDP when checked. */
export async function pickDualPorts(count: number): Promise<number[]> {
  const ports: number[] = [];
  while (ports.length < count) {
    const port = 20000 + Math.floor(Math.random() * 10000);
    if (ports.includes(port)) continue;
    if ((await tcpFree(port)) && (await udpFree(port))) ports.push(port);
  }
  return ports;
}
