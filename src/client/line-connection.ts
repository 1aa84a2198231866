/**
 * A client connection that speaks in lines: send a line (CRLF is added), wait
 * for the next reply line or for the server to close. It knows nothing of the
 * commands, so it works for TIME, QUIT and anything a user types: after QUIT
 * the "reply" is simply the close. Replies are read by the protocol's
 * ReplyReader; this file only moves bytes and shows what it found.
 */

import net from "node:net";
import tls from "node:tls";
import { describeSystemError, formatHostPort, TimeServerError } from "../errors.js";
import { CLOSED, NEED_DATA } from "../protocols/line/events.js";
import { INVALID_COMMAND_REPLY } from "../protocols/line/replies.js";
import type { ReplyEvent } from "../protocols/line/reply-events.js";
import { ReplyReader } from "../protocols/line/reply-reader.js";
import { encodeRequestLine } from "../protocols/line/requests.js";

/** A server that sends a line longer than this without LF is not a time server. */
const MAX_REPLY_LINE = 64 * 1024;
/** How the invalid-command reply is shown: the line without its CRLF. */
const INVALID_COMMAND_TEXT = INVALID_COMMAND_REPLY.toString(
  "latin1",
  0,
  INVALID_COMMAND_REPLY.length - 2,
);

export interface ConnectOptions {
  host: string;
  port: number;
  /** Milliseconds to wait for the connection and for each reply. */
  timeoutMs: number;
  /** Speak TLS, verifying the server's certificate against `ca` (PEM), or the system's CAs without it. */
  tls?: { ca?: string | Buffer };
}

/** Certificate problems a user fixes with --ca (a self-signed or private CA's certificate). */
const UNTRUSTED_CERTIFICATE = new Set([
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
]);

function describeConnectError(error: Error): string {
  const code = (error as NodeJS.ErrnoException).code;
  const text = describeSystemError(error);
  return code !== undefined && UNTRUSTED_CERTIFICATE.has(code)
    ? `${text} (pass the server's certificate or its CA with --ca)`
    : text;
}

type Waiter = (line: string | null) => void;

export class LineConnection {
  private readonly replies = new ReplyReader({ maxLine: MAX_REPLY_LINE });
  private readonly lines: string[] = [];
  private waiter: Waiter | undefined;
  private closedByServer = false;
  private failure: Error | undefined;
  private readonly closeListeners: (() => void)[] = [];
  /** Bytes received so far, lines or not: tells "said nothing" from "said something that is not a line". */
  private received = 0;
  private repliesSeen = 0;

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
      const socket =
        options.tls === undefined
          ? net.connect({ host: options.host, port: options.port, noDelay: true })
          : tls
              .connect({
                host: options.host,
                port: options.port,
                ...(options.tls.ca === undefined ? {} : { ca: options.tls.ca }),
                // SNI takes host names only; an address is checked against the certificate's IP entries.
                ...(net.isIP(options.host) === 0 ? { servername: options.host } : {}),
              })
              .setNoDelay(true);
      const fail = (error: Error) => {
        socket.destroy();
        reject(
          new TimeServerError(
            "TS_ERR_CONNECT",
            `cannot connect to ${address}: ${describeConnectError(error)}`,
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
      socket.once(options.tls === undefined ? "connect" : "secureConnect", () => {
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

  /** How many bytes the server has sent, and how many reply lines they made. */
  get receivedSoFar(): { bytes: number; replies: number } {
    return { bytes: this.received, replies: this.repliesSeen };
  }

  /** The error that broke the connection, if it did not end cleanly. */
  get error(): Error | undefined {
    return this.failure;
  }

  /** Send `line` with CRLF added; a line break inside it is refused as bad input. */
  send(line: string): void {
    let request: Buffer;
    try {
      request = encodeRequestLine(line);
    } catch (error) {
      throw new TimeServerError(
        "TS_ERR_CONFIG",
        `cannot send ${JSON.stringify(line)}: one line only`,
        {
          cause: error,
        },
      );
    }
    if (!this.closedByServer) this.socket.write(request);
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
    this.received += chunk.length;
    this.replies.receiveData(chunk);
    for (;;) {
      const reply = this.replies.nextEvent();
      if (reply === NEED_DATA || reply === CLOSED) return;
      if (reply.type === "line-too-long") {
        this.failure = new TimeServerError(
          "TS_ERR_CONNECT",
          `${this.address} sent a reply line longer than ${reply.maxLine} bytes`,
        );
        this.socket.destroy();
        return;
      }
      const text = replyText(reply);
      if (text !== undefined) {
        this.repliesSeen++;
        this.settle(text);
      }
    }
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

/** A reply as a line of text without its line ending, as the user sees it. */
function replyText(reply: ReplyEvent): string | undefined {
  switch (reply.type) {
    case "time":
      return reply.text;
    case "invalid":
      return INVALID_COMMAND_TEXT;
    case "malformed":
      return reply.bytes.toString("utf8");
    default:
      return undefined;
  }
}
