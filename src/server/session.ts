/**
 * One client connection: the seed's ProcessTheClient, minus the thread. It
 * feeds the socket's bytes to the sans-I/O protocol, turns its events into
 * replies and log lines, and applies the per-connection policy: write
 * backpressure, QUIT, the over-long line, EOF and lingering close.
 *
 * Socket handlers are module-level functions that find their session through a
 * symbol on the socket (as ws does), so a connection costs no closures.
 */

import type { Socket } from "node:net";
import { describeSystemError, formatHostPort } from "../errors.js";
import { escapeBytes } from "../logging/escape-bytes.js";
import { CLOSED, NEED_DATA } from "../protocols/line/events.js";
import { INVALID_COMMAND_REPLY } from "../protocols/line/replies.js";
import { TimeProtocol } from "../protocols/line/time-protocol.js";
import type { SessionHost } from "./session-host.js";

export type CloseReason =
  | "quit"
  | "peer-finished"
  | "line-too-long"
  | "idle-timeout"
  | "shutdown"
  | "error";

const kSession = Symbol("timeserver.session");
type SessionSocket = Socket & { [kSession]?: Session };

export class Session {
  readonly remoteAddress: string;
  readonly remotePort: number;
  /** Coarse time (host.coarseNow) of the last sign of life, for the idle timeout. */
  lastActive: number;
  /** Coarse time the session began to close; 0 while open. */
  closingSince = 0;
  closeReason: CloseReason | undefined;
  private readonly protocol: TimeProtocol;
  private paused = false;

  constructor(
    readonly socket: Socket,
    private readonly host: SessionHost,
  ) {
    this.remoteAddress = socket.remoteAddress ?? "unknown";
    this.remotePort = socket.remotePort ?? 0;
    this.lastActive = host.coarseNow;
    this.protocol = new TimeProtocol({ maxLine: host.maxLine });
    (socket as SessionSocket)[kSession] = this;
    socket.on("data", onSocketData);
    socket.on("end", onSocketEnd);
    socket.on("drain", onSocketDrain);
    socket.on("error", onSocketError);
    socket.on("close", onSocketClose);
  }

  get peer(): string {
    return formatHostPort(this.remoteAddress, this.remotePort);
  }

  /**
   * Stop the conversation: pending replies are flushed, then FIN. Reading goes
   * on (and is discarded) so that unread input cannot turn our close into a
   * reset that destroys replies the client has not read yet; the host destroys
   * the socket if the client has not closed its side after the linger time.
   */
  close(reason: CloseReason): void {
    if (this.closingSince !== 0) return;
    this.closingSince = this.host.coarseNow;
    this.closeReason = reason;
    this.socket.end();
    if (this.paused) {
      this.paused = false;
      this.socket.resume();
    }
  }

  /** Give up on a session that would not close politely. */
  destroy(): void {
    this.socket.destroy();
  }

  receive(chunk: Buffer): void {
    if (this.closingSince !== 0) return;
    this.lastActive = this.host.coarseNow;
    this.protocol.receiveData(chunk);
    this.handleEvents();
  }

  peerFinished(): void {
    if (this.closingSince !== 0) return;
    this.protocol.receiveEof();
    this.handleEvents();
  }

  drained(): void {
    this.lastActive = this.host.coarseNow;
    if (this.paused) {
      this.paused = false;
      this.socket.resume();
    }
  }

  failed(error: Error): void {
    if (this.closeReason === undefined) this.closeReason = "error";
    const log = this.host.logger;
    if (log.infoOn) {
      log.info(`Connection error from ${this.peer}: ${describeSystemError(error)}`, {
        event: "connection-error",
        remoteAddress: this.remoteAddress,
        remotePort: this.remotePort,
        code: (error as NodeJS.ErrnoException).code,
      });
    }
  }

  closed(): void {
    this.host.sessionClosed(this);
  }

  /**
   * Hand every complete request to the protocol's rules. All the replies to
   * one read go out in one write, stamped with the time of that read; a run
   * of TIME replies is a view of the clock's cached run, so pipelined
   * requests cost no copying.
   */
  private handleEvents(): void {
    const host = this.host;
    const log = host.logger;
    const now = host.clock();
    /** TIME replies owed after `parts`. */
    let times = 0;
    /** Replies owed before the run of TIME replies, when one read mixed kinds. */
    let parts: Buffer[] | undefined;
    for (;;) {
      const event = this.protocol.nextEvent();
      if (event === NEED_DATA || event === CLOSED) break;
      switch (event.type) {
        case "time": {
          times++;
          host.stats.timeRequests++;
          if (log.infoOn) {
            host.replies.replyAt(now);
            log.info(`Received: TIME from ${this.remoteAddress}`, this.fields("received", "TIME"));
            log.info(
              `Sent: ${host.replies.lastReplyText} to ${this.remoteAddress}`,
              this.fields("sent", undefined, host.replies.lastReplyText),
            );
          }
          break;
        }
        case "invalid": {
          parts = this.owed(parts, now, times, INVALID_COMMAND_REPLY);
          times = 0;
          host.stats.invalidRequests++;
          if (log.infoOn) {
            const shown = escapeBytes(event.line);
            log.info(
              `Received invalid command "${shown}" from ${this.remoteAddress}`,
              this.fields("invalid-command", shown),
            );
          }
          break;
        }
        case "quit": {
          host.stats.quitRequests++;
          if (log.infoOn) {
            log.info(`Received: QUIT from ${this.remoteAddress}`, this.fields("received", "QUIT"));
          }
          this.send(parts, now, times);
          this.close("quit");
          return;
        }
        case "line-too-long": {
          host.stats.invalidRequests++;
          if (log.warnOn) {
            log.warn(
              `Line longer than ${event.maxLine} bytes from ${this.remoteAddress}; closing the connection`,
              this.fields("line-too-long"),
            );
          }
          this.send(this.owed(parts, now, times, INVALID_COMMAND_REPLY), now, 0);
          this.close("line-too-long");
          return;
        }
        case "peer-finished": {
          if (log.debugOn) {
            log.debug(
              `Client ${this.peer} finished sending (${event.droppedBytes} unterminated bytes dropped)`,
              this.fields("peer-finished"),
            );
          }
          this.send(parts, now, times);
          this.close("peer-finished");
          return;
        }
      }
    }
    this.send(parts, now, times);
  }

  /** `parts`, then the run of `times` TIME replies, then `next`. */
  private owed(parts: Buffer[] | undefined, now: number, times: number, next: Buffer): Buffer[] {
    const list = parts ?? [];
    if (times > 0) list.push(this.host.replies.repeatedAt(now, times));
    list.push(next);
    return list;
  }

  private send(parts: Buffer[] | undefined, now: number, times: number): void {
    let data: Buffer;
    if (parts === undefined) {
      if (times === 0) return;
      data = this.host.replies.repeatedAt(now, times);
    } else {
      if (times > 0) parts.push(this.host.replies.repeatedAt(now, times));
      data = parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts);
    }
    if (this.socket.destroyed) return;
    if (!this.socket.write(data) && !this.paused) {
      // The client is not reading its replies: stop reading its requests until
      // they drain, so it cannot make us buffer without bound.
      this.paused = true;
      this.socket.pause();
      this.host.sessionPaused(this);
    }
  }

  private fields(event: string, command?: string, reply?: string) {
    return {
      event,
      command,
      reply,
      remoteAddress: this.remoteAddress,
      remotePort: this.remotePort,
    };
  }
}

function sessionOf(socket: Socket): Session {
  return (socket as SessionSocket)[kSession] as Session;
}

function onSocketData(this: Socket, chunk: Buffer): void {
  sessionOf(this).receive(chunk);
}

function onSocketEnd(this: Socket): void {
  sessionOf(this).peerFinished();
}

function onSocketDrain(this: Socket): void {
  sessionOf(this).drained();
}

function onSocketError(this: Socket, error: Error): void {
  sessionOf(this).failed(error);
}

function onSocketClose(this: Socket): void {
  sessionOf(this).closed();
}
