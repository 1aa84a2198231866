/**
 * The line protocol as a service: what a TIME, QUIT or invalid line means
 * for one connection (the original exercise's ProcessTheClient, minus the thread).
 * It feeds the connection's bytes to the sans-I/O codec, turns its events
 * into replies, counters and log lines, and keeps each turn's work bounded:
 * when the turn budget runs out mid-pipeline it stops reading that client and
 * carries on at the next turn, so one deep pipeline cannot stall everyone.
 */

import type { Clock } from "../clock/clock.js";
import { timeOfDayFormatter } from "../clock/time-of-day.js";
import { escapeBytes } from "../logging/escape-bytes.js";
import * as log from "../logging/log-events.js";
import type { Logger } from "../logging/logger.js";
import type { Counter, CounterRegistry } from "../metrics/counters.js";
import { requestCounter } from "../metrics/server-metrics.js";
import { type Admission, LIMIT_ONLY } from "../policy/admission.js";
import { CLOSED, NEED_DATA, type NextEvent } from "../protocols/line/events.js";
import { INVALID_COMMAND_REPLY } from "../protocols/line/replies.js";
import { TimeProtocol } from "../protocols/line/time-protocol.js";
import type { DeferredWork, TurnBudget } from "../services/turn-budget.js";
import {
  type Connection,
  type ConnectionHandler,
  HOLD_BUDGET,
  HOLD_RATE,
} from "../transport/connection.js";
import type { TcpService } from "../transport/tcp-listener.js";
import { TimeReplyCache } from "./time-reply-cache.js";

export interface LineServiceOptions {
  maxLine: number;
  timeZone: string | undefined;
  logger: Logger;
  clock: Clock;
  counters: CounterRegistry;
  budget: TurnBudget;
  /** Asked once about each request line (the client's rate); default: no rate limit. */
  admission?: Admission;
}

export class LineService implements TcpService {
  readonly name = "line";
  readonly readsRequests = true;
  readonly maxLine: number;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly budget: TurnBudget;
  readonly admission: Admission;
  readonly replies: TimeReplyCache;
  readonly time: Counter;
  readonly quit: Counter;
  readonly invalid: Counter;
  readonly tooLong: Counter;
  readonly rateLimited: Counter;

  constructor(options: LineServiceOptions) {
    this.maxLine = options.maxLine;
    this.logger = options.logger;
    this.clock = options.clock;
    this.budget = options.budget;
    this.admission = options.admission ?? LIMIT_ONLY;
    this.replies = new TimeReplyCache(timeOfDayFormatter(options.timeZone));
    const counters = options.counters;
    this.time = requestCounter(counters, "line", "tcp", "time");
    this.quit = requestCounter(counters, "line", "tcp", "quit");
    this.invalid = requestCounter(counters, "line", "tcp", "invalid");
    this.tooLong = requestCounter(counters, "line", "tcp", "too-long");
    this.rateLimited = requestCounter(counters, "line", "tcp", "rate-limited");
  }

  open(connection: Connection): void {
    connection.handler = new LineSession(connection, this);
  }
}

/** Reading stops for either of these; the work carries on when they end. */
const HELD = HOLD_BUDGET | HOLD_RATE;

class LineSession implements ConnectionHandler, DeferredWork {
  private readonly protocol: TimeProtocol;
  /** A request read while its client was over its rate: answered first when tokens are back. */
  private waiting: NextEvent | undefined;
  /** Set at shutdown: every request already read is answered now. */
  private finishing = false;

  constructor(
    private readonly connection: Connection,
    private readonly service: LineService,
  ) {
    this.protocol = new TimeProtocol({ maxLine: service.maxLine });
  }

  receive(chunk: Buffer): void {
    this.protocol.receiveData(chunk);
    if (!this.connection.isHeld(HELD)) this.handleEvents();
  }

  peerFinished(): void {
    this.protocol.receiveEof();
    if (!this.connection.isHeld(HELD)) this.handleEvents();
  }

  /** Shutdown: answer what was read, past the turn budget and the rate limit. */
  finish(): void {
    if (this.connection.closing) return;
    this.finishing = true;
    this.handleEvents();
  }

  resumeWork(): void {
    if (this.connection.closing) return;
    this.connection.release(HOLD_BUDGET);
    // A later turn runs outside the socket's handlers: a throw ends this client only.
    try {
      this.handleEvents();
    } catch (error) {
      this.connection.threw(error);
    }
  }

  /** The timer callback for `rateResumed`, made the first time a rate limit holds this client. */
  private onTokens: (() => void) | undefined;

  /** Tokens are back: carry on where the rate limit stopped us. */
  private rateResumed(): void {
    if (this.connection.closing) return;
    this.connection.lastActive = this.service.clock.monotonic();
    this.connection.release(HOLD_RATE);
    try {
      this.handleEvents();
    } catch (error) {
      this.connection.threw(error);
    }
  }

  /**
   * Hand every complete request to the protocol's rules. All the replies to
   * one pass go out in one write, stamped with the time of that pass; a run
   * of TIME replies is a view of the clock's cached run, so pipelined
   * requests cost no copying.
   */
  private handleEvents(): void {
    const service = this.service;
    const connection = this.connection;
    // A proxy's health checks would otherwise fill the log with five lines each.
    const logger = connection.healthCheck ? service.logger.demoted() : service.logger;
    const budget = service.budget;
    const now = service.clock.now();
    /** TIME replies owed after `parts`. */
    let times = 0;
    /** Replies owed before the run of TIME replies, when one pass mixed kinds. */
    let parts: Buffer[] | undefined;
    for (;;) {
      if (!budget.spend() && !this.finishing) {
        // This turn's work is used up: answer what was read so far, stop
        // reading this client, and carry on at the next turn.
        this.send(parts, now, times);
        connection.hold(HOLD_BUDGET);
        budget.defer(this);
        return;
      }
      const event = this.waiting ?? this.protocol.nextEvent();
      this.waiting = undefined;
      if (event === NEED_DATA || event === CLOSED) break;
      if (event.type !== "peer-finished" && !this.finishing) {
        // Policy's one answer about this request line.
        const verdict = service.admission.admitRequest(connection.peer);
        if (verdict.kind === "drop") {
          // Over its rate: answer what was read so far, stop reading this
          // client, and take this request up again when a token is back.
          this.waiting = event;
          service.rateLimited.value++;
          this.send(parts, now, times);
          connection.hold(HOLD_RATE);
          this.onTokens ??= () => this.rateResumed();
          service.clock.after(verdict.retryInMs ?? 0, this.onTokens);
          return;
        }
      }
      switch (event.type) {
        case "time": {
          times++;
          service.time.value++;
          if (logger.infoOn) log.timeServed(logger, connection.peer, service.replies.textAt(now));
          break;
        }
        case "invalid": {
          parts = this.owed(parts, now, times, INVALID_COMMAND_REPLY);
          times = 0;
          service.invalid.value++;
          if (logger.infoOn) log.invalidCommand(logger, connection.peer, escapeBytes(event.line));
          break;
        }
        case "quit": {
          service.quit.value++;
          log.quitReceived(logger, connection.peer);
          this.send(parts, now, times);
          connection.close("quit");
          return;
        }
        case "line-too-long": {
          service.tooLong.value++;
          log.lineTooLong(logger, connection.peer, event.maxLine);
          this.send(this.owed(parts, now, times, INVALID_COMMAND_REPLY), now, 0);
          connection.close("line-too-long");
          return;
        }
        case "peer-finished": {
          log.peerFinished(logger, connection.peer, event.droppedBytes);
          this.send(parts, now, times);
          connection.close("peer-finished");
          return;
        }
      }
    }
    this.send(parts, now, times);
  }

  /** `parts`, then the run of `times` TIME replies, then `next`. */
  private owed(parts: Buffer[] | undefined, now: number, times: number, next: Buffer): Buffer[] {
    const list = parts ?? [];
    if (times > 0) list.push(this.service.replies.repeatedAt(now, times));
    list.push(next);
    return list;
  }

  private send(parts: Buffer[] | undefined, now: number, times: number): void {
    let data: Buffer;
    if (parts === undefined) {
      if (times === 0) return;
      data = this.service.replies.repeatedAt(now, times);
    } else {
      if (times > 0) parts.push(this.service.replies.repeatedAt(now, times));
      data = parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts);
    }
    this.connection.write(data);
  }
}
