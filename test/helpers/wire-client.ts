/**
 * A raw TCP client for tests: sends exact bytes, collects every byte the
 * server sends, and lets a test wait (on events, never on sleeps) for a number
 * of bytes or for the server to close.
 */

import net from "node:net";

export class WireClient {
  received: Buffer = Buffer.alloc(0);
  closed = false;
  /** Set when the server closed with a reset rather than a FIN. */
  error: NodeJS.ErrnoException | undefined;
  private waiters: (() => void)[] = [];

  private constructor(readonly socket: net.Socket) {
    socket.on("data", (chunk: Buffer) => {
      this.received = Buffer.concat([this.received, chunk]);
      this.wake();
    });
    socket.on("error", (error) => {
      this.error = error;
    });
    socket.on("close", () => {
      this.closed = true;
      this.wake();
    });
  }

  static connect(port: number, host = "127.0.0.1", options: { allowHalfOpen?: boolean } = {}): Promise<WireClient> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ port, host, allowHalfOpen: options.allowHalfOpen ?? true });
      socket.once("error", reject);
      socket.once("connect", () => {
        socket.off("error", reject);
        socket.setNoDelay(true);
        resolve(new WireClient(socket));
      });
    });
  }

  get text(): string {
    return this.received.toString("latin1");
  }

  send(data: string | Buffer): void {
    this.socket.write(typeof data === "string" ? Buffer.from(data, "latin1") : data);
  }

  /** Half-close: no more bytes from us. */
  end(): void {
    this.socket.end();
  }

  destroy(): void {
    this.socket.destroy();
  }

  /** Resolves once at least `bytes` bytes have arrived; rejects if the server closes first. */
  waitForBytes(bytes: number): Promise<Buffer> {
    return this.waitUntil(
      () => this.received.length >= bytes,
      () => `server closed after ${this.received.length} of ${bytes} bytes: ${JSON.stringify(this.text)}`,
    ).then(() => this.received);
  }

  /** Resolves with everything received once the server has closed the connection. */
  waitForClose(): Promise<Buffer> {
    return this.waitUntil(() => this.closed).then(() => this.received);
  }

  private waitUntil(done: () => boolean, describeFailure?: () => string): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (done()) resolve();
        else if (this.closed && describeFailure) reject(new Error(describeFailure()));
        else this.waiters.push(check);
      };
      check();
    });
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const waiter of waiters) waiter();
  }
}

/** Connect, send `data`, optionally half-close, and return all the server sent before closing. */
export async function exchange(
  port: number,
  data: string | Buffer,
  options: { host?: string; halfClose?: boolean } = {},
): Promise<Buffer> {
  const client = await WireClient.connect(port, options.host);
  client.send(data);
  if (options.halfClose) client.end();
  return client.waitForClose();
}

export const TIME_REPLY = /^JAM ([01]\d|2[0-3]):[0-5]\d:[0-5]\d\r\n$/;
export const TIME_REPLY_GLOBAL = /JAM ([01]\d|2[0-3]):[0-5]\d:[0-5]\d\r\n/g;
export const INVALID = "Invalid command\r\n";
