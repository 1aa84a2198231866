/**
 * Clients that choose their source address: a TCP client (WireClient) and a
 * UDP client bound to a given 127.x.y.z, so one test can be several distinct
 * clients on loopback and the server's access list and per-address limits
 * see them apart.
 */

import dgram from "node:dgram";
import { once } from "node:events";
import net from "node:net";
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

/** A UDP socket bound to `localAddress` that keeps every datagram it receives, in order. */
export class DatagramClient {
  readonly replies: Buffer[] = [];
  private waiters: (() => void)[] = [];

  private constructor(readonly socket: dgram.Socket) {
    socket.on("message", (message) => {
      this.replies.push(message);
      for (const waiter of this.waiters.splice(0)) waiter();
    });
  }

  static async bind(t: CleanupContext, localAddress: string): Promise<DatagramClient> {
    const socket = dgram.createSocket(net.isIPv6(localAddress) ? "udp6" : "udp4");
    t.after(() => socket.close());
    socket.bind(0, localAddress);
    await once(socket, "listening");
    return new DatagramClient(socket);
  }

  get port(): number {
    return this.socket.address().port;
  }

  /** Send one datagram; resolves once the kernel has taken it. */
  send(port: number, data: Buffer, host = "127.0.0.1"): Promise<void> {
    return new Promise((resolve, reject) => {
      this.socket.send(data, port, host, (error) => (error ? reject(error) : resolve()));
    });
  }

  /** Resolves with all replies once at least `count` have arrived. */
  waitForReplies(count: number): Promise<Buffer[]> {
    return new Promise((resolve) => {
      const check = () => {
        if (this.replies.length >= count) resolve(this.replies);
        else this.waiters.push(check);
      };
      check();
    });
  }

  /** Resolves with the first reply (from now on, looking at all kept so far) that `match` accepts. */
  waitForReply(match: (reply: Buffer) => boolean): Promise<Buffer> {
    return new Promise((resolve) => {
      const check = () => {
        const found = this.replies.find(match);
        if (found !== undefined) resolve(found);
        else this.waiters.push(check);
      };
      check();
    });
  }
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
