/**
 * A client connection that speaks in lines: send a line (CRLF is added), wait
 * for the next reply line or for the server to close. It knows nothing of the
 * commands, so it works for TIME, QUIT and anything a user types: after QUIT
 * the "reply" is simply the close.
 */

import net from "node:net";
import { describeSystemError, formatHostPort, TimeServerError } from "../errors.js";

const LF = 0x0a;
/** A server that sends a line longer than this without LF is not a time server. */
const MAX_REPLY_LINE = 64 * 1024;

export interface ConnectOptions {
  host: string;
  port: number;
  /** Milliseconds to wait for the connection and for each reply. */
  timeoutMs: number;
}

type Waiter = (line: string | null) => void;

export class LineConnection {
  private buffered: Buffer = Buffer.alloc(0);
  private readonly lines: string[] = [];
  private waiter: Waiter | undefined;
  private closedByServer = false;
  private failure: Error | undefined;
  private readonly closeListeners: (() => void)[] = [];

  private constructor(
    private readonly socket: net.Socket,
    private readonly options: ConnectOptions,
  ) {
    socket.on("data", (chunk: Buffer) => this.receive(chunk));
    socket.on("error", (error) => {
      this.failure = new TimeServerError(
        "TS_ERR_CONNECT",
        `connection to ${this.address} failed: ${describeSystemError(error)}`,
        { cause: error },
      );
    });
    socket.on("close", () => {
      this.closedByServer = true;
      this.settle(null);
      for (const listener of this.closeListeners) listener();
    });
  }

  static connect(options: ConnectOptions): Promise<LineConnection> {
    const address = formatHostPort(options.host, options.port);
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host: options.host, port: options.port, noDelay: true });
      const fail = (error: Error) => {
        socket.destroy();
        reject(
          new TimeServerError(
            "TS_ERR_CONNECT",
            `cannot connect to ${address}: ${describeSystemError(error)}`,
            {
              cause: error,
            },
          ),
        );
      };
      socket.setTimeout(options.timeoutMs, () =>
        fail(Object.assign(new Error("timed out"), { code: "ETIMEDOUT" })),
      );
      socket.once("error", fail);
      socket.once("connect", () => {
        socket.off("error", fail);
        socket.setTimeout(0);
        resolve(new LineConnection(socket, options));
      });
    });
  }

  get address(): string {
    return formatHostPort(this.options.host, this.options.port);
  }

  get isClosed(): boolean {
    return this.closedByServer;
  }

  /** Called once when the server closes the connection (or it breaks). */
  onClose(listener: () => void): void {
    this.closeListeners.push(listener);
  }

  /** The error that broke the connection, if it did not end cleanly. */
  get error(): Error | undefined {
    return this.failure;
  }

  send(line: string): void {
    if (!this.closedByServer) this.socket.write(`${line}\r\n`);
  }

  /** The next reply line without its line ending, or null once the server has closed. */
  nextLine(): Promise<string | null> {
    const line = this.lines.shift();
    if (line !== undefined) return Promise.resolve(line);
    if (this.closedByServer) return Promise.resolve(null);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = undefined;
        reject(
          new TimeServerError(
            "TS_ERR_CONNECT",
            `no reply from ${this.address} within ${this.options.timeoutMs / 1000} s`,
          ),
        );
      }, this.options.timeoutMs);
      this.waiter = (value) => {
        clearTimeout(timer);
        resolve(value);
      };
    });
  }

  /** Tell the server we are done sending (half-close); it answers by closing. */
  finish(): void {
    if (!this.closedByServer) this.socket.end();
  }

  destroy(): void {
    this.socket.destroy();
  }

  private receive(chunk: Buffer): void {
    let data = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    let lf = data.indexOf(LF);
    while (lf !== -1) {
      const end = lf > 0 && data[lf - 1] === 0x0d ? lf - 1 : lf;
      this.settle(data.toString("utf8", 0, end));
      data = data.subarray(lf + 1);
      lf = data.indexOf(LF);
    }
    if (data.length > MAX_REPLY_LINE) {
      this.failure = new TimeServerError(
        "TS_ERR_CONNECT",
        `${this.address} sent a reply line longer than ${MAX_REPLY_LINE} bytes`,
      );
      this.socket.destroy();
      return;
    }
    this.buffered = Buffer.from(data);
  }

  private settle(line: string | null): void {
    const waiter = this.waiter;
    if (waiter !== undefined) {
      this.waiter = undefined;
      waiter(line);
    } else if (line !== null) {
      this.lines.push(line);
    }
  }
}
