/**
 * A raw TCP client for tests: sends exact bytes, collects every byte the
 * server sends, and lets a test wait (on events, never on sleeps) for a number
 * of bytes or for the server to close.
 */

import net from "node:net";
import { INVALID_COMMAND_REPLY, TIME_REPLY_LENGTH } from "../../src/protocols/line/replies.js";
import { QUIT_REQUEST_BYTES, TIME_REQUEST_BYTES } from "../../src/protocols/line/requests.js";

export class WireClient {
  received: Buffer = Buffer.alloc(0);
  /** True once the server has closed (FIN) or the connection is gone (reset). */
  closed = false;
  /** True once the server has finished sending (its FIN arrived), even if our side is still open. */
  ended = false;
  /** Set when the server closed with a reset rather than a FIN. */
  error: NodeJS.ErrnoException | undefined;
  private waiters: (() => void)[] = [];

  private constructor(readonly socket: net.Socket) {
    socket.on("data", (chunk: Buffer) => {
      this.received = Buffer.concat([this.received, chunk]);
      this.wake();
    });
    socket.on("end", () => {
      this.ended = true;
      this.wake();
    });
    socket.on("error", (error) => {
      this.error = error;
    });
    // The server's FIN ('end') is its close as far as the protocol goes; a
    // half-open client socket would otherwise never see 'close'.
    socket.on("end", () => {
      this.closed = true;
      this.wake();
    });
    socket.on("close", () => {
      this.closed = true;
      this.wake();
    });
  }

  static connect(
    port: number,
    host = "127.0.0.1",
    options: { allowHalfOpen?: boolean } = {},
  ): Promise<WireClient> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ port, host, allowHalfOpen: options.allowHalfOpen ?? false });
      socket.once("error", reject);
      socket.once("connect", () => {
        socket.off("error", reject);
        socket.setNoDelay(true);
        resolve(new WireClient(socket));
      });
    });
  }

  /** Wrap a socket that is already connected (e.g. the one startQuietServer got through with). */
  static adopt(socket: net.Socket): WireClient {
    socket.setNoDelay(true);
    return new WireClient(socket);
  }

  get text(): string {
    return this.received.toString("latin1");
  }

  send(data: string | Buffer): void {
    this.socket.write(typeof data === "string" ? Buffer.from(data, "latin1") : data);
  }

  /** Send and resolve once the bytes are handed to the kernel (the write callback). */
  sendFlushed(data: string | Buffer): Promise<void> {
    return new Promise((resolve, reject) => {
      this.socket.write(typeof data === "string" ? Buffer.from(data, "latin1") : data, (error) =>
        error ? reject(error) : resolve(),
      );
    });
  }

  /** Send TIME and resolve with the next reply's bytes as text (14 of them: a time reply's length). */
  askTime(): Promise<string> {
    return this.request(TIME_REQUEST_BYTES, REPLY_BYTES).then((reply) => reply.toString("latin1"));
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
      () =>
        `server closed after ${this.received.length} of ${bytes} bytes: ${JSON.stringify(this.text)}`,
    ).then(() => this.received);
  }

  /**
   * Resolves with everything received once the server has finished sending
   * (FIN). Unlike waitForClose this does not need our side to close too, so it
   * also works for a half-open client (allowHalfOpen, the default here).
   */
  waitForEnd(): Promise<Buffer> {
    return this.waitUntil(() => this.ended || this.closed).then(() => this.received);
  }

  /** Send `data` and resolve when `bytes` more bytes have arrived (a request/reply round trip). */
  request(data: string | Buffer, bytes: number): Promise<Buffer> {
    const start = this.received.length;
    this.send(data);
    return this.waitForBytes(start + bytes).then((all) => all.subarray(start, start + bytes));
  }

  /** Resolves with everything received once the server has closed the connection. */
  waitForClose(): Promise<Buffer> {
    return this.waitUntil(() => this.closed).then(() => this.received);
  }

  private waitUntil(done: () => boolean, describeFailure?: () => string): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (done()) resolve();
        else if ((this.closed || this.ended) && describeFailure)
          reject(new Error(describeFailure()));
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

/** The requests as text, for tests that build whole conversations as strings. */
export const TIME_LINE = TIME_REQUEST_BYTES.toString("latin1");
export const QUIT_LINE = QUIT_REQUEST_BYTES.toString("latin1");
/** Bytes in one `JAM hh:mm:ss\r\n`. */
export const REPLY_BYTES = TIME_REPLY_LENGTH;
/**
 * A time reply as a pattern written independently of the protocol module, on
 * purpose: the tests that match replies against it also check the module's
 * byte checker (test/protocols/line/reply-reader.property.test.ts).
 */
export const TIME_REPLY = /^JAM ([01]\d|2[0-3]):[0-5]\d:[0-5]\d\r\n$/;
export const TIME_REPLY_GLOBAL = /JAM ([01]\d|2[0-3]):[0-5]\d:[0-5]\d\r\n/g;
export const INVALID = INVALID_COMMAND_REPLY.toString("latin1");

/** What node:test's TestContext offers for cleanup (kept structural so helpers need no import). */
export interface CleanupContext {
  after(fn: () => unknown): void;
}

/** WireClient.connect, destroyed when the test ends, pass or fail. */
export async function connectFor(
  t: CleanupContext,
  port: number,
  host = "127.0.0.1",
  options: { allowHalfOpen?: boolean } = {},
): Promise<WireClient> {
  const client = await WireClient.connect(port, host, options);
  t.after(() => client.destroy());
  return client;
}
