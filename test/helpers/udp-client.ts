/**
 * A UDP client for tests: one loopback socket that sends exact datagrams and
 * keeps every reply in arrival order, so a test waits on replies (events),
 * never on time. A wait that would otherwise hang rejects after a generous
 * safety-net timeout: that is a failure, never a way to pass.
 */

import dgram from "node:dgram";

export interface Reply {
  data: Buffer;
  port: number;
}

/** Long enough never to fire on a healthy machine; only there so a lost datagram fails instead of hanging. */
const SAFETY_NET_MS = 20_000;

export class UdpClient {
  readonly replies: Reply[] = [];
  private waiters: (() => void)[] = [];

  private constructor(readonly socket: dgram.Socket) {
    socket.on("message", (data, remote) => {
      this.replies.push({ data, port: remote.port });
      this.wake();
    });
  }

  static open(host = "127.0.0.1"): Promise<UdpClient> {
    const socket = dgram.createSocket("udp4");
    return new Promise((resolve, reject) => {
      socket.once("error", reject);
      socket.bind({ address: host, port: 0 }, () => {
        socket.off("error", reject);
        resolve(new UdpClient(socket));
      });
    });
  }

  /** Resolves once the datagram is handed to the kernel. */
  send(port: number, data: Uint8Array, host = "127.0.0.1"): Promise<void> {
    return new Promise((resolve, reject) => {
      this.socket.send(data, port, host, (error) => (error ? reject(error) : resolve()));
    });
  }

  /** Resolves with the first reply (from `from` on) that `match` accepts. */
  waitFor(match: (reply: Reply) => boolean, from = 0): Promise<Reply> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((waiter) => waiter !== check);
        reject(new Error(`no matching UDP reply within ${SAFETY_NET_MS} ms (safety net)`));
      }, SAFETY_NET_MS);
      const check = () => {
        const found = this.replies.slice(from).find(match);
        if (found !== undefined) {
          clearTimeout(timer);
          resolve(found);
        } else this.waiters.push(check);
      };
      check();
    });
  }

  /** Send `data` and resolve with the next reply to arrive. */
  async request(port: number, data: Uint8Array): Promise<Buffer> {
    const from = this.replies.length;
    await this.send(port, data);
    return (await this.waitFor(() => true, from)).data;
  }

  close(): void {
    this.socket.close();
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const waiter of waiters) waiter();
  }
}

/** UdpClient.open, closed when the test ends, pass or fail. */
export async function udpClientFor(t: { after(fn: () => unknown): void }): Promise<UdpClient> {
  const client = await UdpClient.open();
  t.after(() => client.close());
  return client;
}
