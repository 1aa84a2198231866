/**
 * Tells systemd what the server is doing (Type=notify): READY=1 once every
 * listener is up, RELOADING=1 around a SIGHUP reload, STOPPING=1 at drain,
 * and WATCHDOG=1 from a timer on the event loop, so a wedged loop stops the
 * pings and WatchdogSec= restarts the process.
 *
 * Node has no AF_UNIX datagram sockets, so each message goes through the
 * `systemd-notify` command (the unit needs NotifyAccess=all: the sender is
 * that child, not the main pid). Since systemd 246 the command waits for the
 * manager to have read the message (a BARRIER=1 round trip), so a message
 * cannot be lost by the child exiting first. One child at a time, so systemd
 * hears the states in the order they happened; a child is spawned, never
 * waited for synchronously: nothing here blocks the event loop.
 */

import { spawn } from "node:child_process";
import { notifyFailed, notifyNotRun } from "../logging/log-events.js";
import type { Logger } from "../logging/logger.js";
import {
  type NotifyEnvironment,
  reloadingAssignments,
  watchdogIntervalMs,
} from "./notify-environment.js";

export interface ServiceNotifier {
  /** Started (or reloaded): READY=1; the first call also starts the watchdog pings. */
  ready(status?: string): void;
  /** A reload begins: RELOADING=1 with MONOTONIC_USEC; answer with ready() once done. */
  reloading(): void;
  /** Shutting down: STOPPING=1, and no more watchdog pings. */
  stopping(): void;
  /** Resolves once every message so far has been handed over: await it before exiting. */
  sent(): Promise<void>;
}

/** For a process that systemd did not start with a notify socket. */
export const NO_NOTIFIER: ServiceNotifier = {
  ready() {},
  reloading() {},
  stopping() {},
  sent: () => Promise.resolve(),
};

export interface NotifierOptions {
  /** The command to run; `systemd-notify` from PATH unless a test says otherwise. */
  command?: string;
  /** CLOCK_MONOTONIC in nanoseconds (process.hrtime.bigint), replaceable in tests. */
  monotonicNs?: () => bigint;
}

export class SystemdNotifier implements ServiceNotifier {
  private readonly queue: string[][] = [];
  private sending = false;
  private disabled = false;
  private watchdog: NodeJS.Timeout | undefined;
  private idle: (() => void)[] = [];
  private readonly command: string;
  private readonly monotonicNs: () => bigint;

  constructor(
    private readonly environment: NotifyEnvironment,
    private readonly logger: Logger,
    options: NotifierOptions = {},
  ) {
    this.command = options.command ?? "systemd-notify";
    this.monotonicNs = options.monotonicNs ?? process.hrtime.bigint;
  }

  ready(status?: string): void {
    this.send(status === undefined ? ["READY=1"] : ["READY=1", `STATUS=${oneLine(status)}`]);
    const usec = this.environment.watchdogUsec;
    if (usec === undefined || this.watchdog !== undefined) return;
    this.watchdog = setInterval(() => this.ping(), watchdogIntervalMs(usec));
    // The pings keep nothing alive: the server's own sockets do.
    this.watchdog.unref();
  }

  reloading(): void {
    this.send(reloadingAssignments(this.monotonicNs()));
  }

  stopping(): void {
    clearInterval(this.watchdog);
    // A queued ping would only delay STOPPING=1.
    for (let index = this.queue.length - 1; index >= 0; index--) {
      if (this.queue[index]?.[0] === "WATCHDOG=1") this.queue.splice(index, 1);
    }
    this.send(["STOPPING=1"]);
  }

  sent(): Promise<void> {
    if (!this.sending) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  /** One WATCHDOG=1 at a time: if the last is still queued, this turn's would say nothing new. */
  private ping(): void {
    if (this.queue.some((message) => message[0] === "WATCHDOG=1")) return;
    this.send(["WATCHDOG=1"]);
  }

  private send(assignments: string[]): void {
    if (this.disabled) return;
    this.queue.push(assignments);
    if (!this.sending) this.next();
  }

  private next(): void {
    const assignments = this.queue.shift();
    if (assignments === undefined) {
      this.sending = false;
      for (const resolve of this.idle.splice(0)) resolve();
      return;
    }
    this.sending = true;
    let stderr = "";
    const child = spawn(this.command, assignments, {
      // Only what systemd-notify reads: the socket, and PATH for nothing else.
      env: { NOTIFY_SOCKET: this.environment.socket, PATH: process.env.PATH ?? "/usr/bin:/bin" },
      stdio: ["ignore", "ignore", "pipe"],
    });
    child.stderr?.setEncoding("utf8");
    child.stderr?.on("data", (chunk: string) => {
      if (stderr.length < 500) stderr += chunk;
    });
    child.once("error", (error: NodeJS.ErrnoException) => {
      // ENOENT: no systemd-notify on this machine. Say so once and stop trying.
      this.disabled = true;
      this.queue.length = 0;
      clearInterval(this.watchdog);
      for (const resolve of this.idle.splice(0)) resolve();
      notifyNotRun(this.logger, this.command, error.code ?? error.message);
      this.sending = false;
    });
    child.once("close", (code) => {
      // After a spawn error, "close" follows "error", which has said it all.
      if (this.disabled) return;
      if (code !== 0 && code !== null) {
        notifyFailed(this.logger, this.command, assignments[0], code, stderr);
      }
      this.next();
    });
  }
}

function oneLine(text: string): string {
  return text.trim().replace(/\s+/g, " ");
}
