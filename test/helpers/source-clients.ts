/**
 * Clients that choose their source address: a TCP client (WireClient) and a
 * UDP client (UdpClient) bound to a given 127.x.y.z, so one test can be several distinct
 * clients on loopback and the server's access list and per-address limits
 * see them apart.
 */

import net from "node:net";
import { UdpClient } from "./udp-client.js";
import { type CleanupContext, WireClient } from "./wire-client.js";

/** A TCP connection from `localAddress` to `host:port`, destroyed when the test ends. */
export async function connectFrom(
  t: CleanupContext,
  port: number,
  localAddress: string,
  host = "127.0.0.1",
): Promise<WireClient> {
  const socket = net.connect({ port, host, localAddress });
  t.after(() => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    socket.once("error", reject);
    socket.once("connect", () => {
      socket.off("error", reject);
      resolve();
    });
  });
  return WireClient.adopt(socket);
}

/**
 * Wait until the server has closed `client`, and return how many bytes it
 * sent first (a refused client must get none). A reset counts as a close.
 */
export async function bytesBeforeClose(client: WireClient): Promise<number> {
  const received = await client.waitForClose();
  return received.length;
}

/** A UDP client bound to `localAddress` (UdpClient keeps every reply in order), closed when the test ends. */
export async function udpClientFrom(t: CleanupContext, localAddress: string): Promise<UdpClient> {
  const client = await UdpClient.open(localAddress);
  t.after(() => client.close());
  return client;
}

/** The local port a UdpClient sends from, as the server's log shows it. */
export function udpPortOf(client: UdpClient): number {
  return client.socket.address().port;
}

/**
 * Let the event loop finish the poll phase it is in. A loopback datagram is
 * in the receiver's buffer once sendto returns, so once the server's reply to
 * a later datagram has been read here, every earlier reply to another local
 * socket was readable in the same poll; these turns let Node hand them over.
 */
export async function drainPoll(): Promise<void> {
  for (let turn = 0; turn < 3; turn++) await new Promise((resolve) => setImmediate(resolve));
}
