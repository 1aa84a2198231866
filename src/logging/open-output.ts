/**
 * Picks the writer for what stdout (or any fd) turns out to be, and gives
 * Destination its real clock, end-of-turn scheduler and timers:
 *
 * - pipe: reopened through /proc/self/fd (a description of our own, so the
 *   non-blocking mode libuv sets and a close on error stay ours), then a
 *   net.Socket; a socket (systemd, `spawn` with stdio "pipe"): a net.Socket.
 * - terminal: reopened non-blocking through /proc/self/fd, written with
 *   writeSync; EAGAIN (Ctrl-S, a paused pty) is retried on a timer.
 * - regular file (and anything else): writeSync of whole batches.
 */

import { constants, fstatSync, openSync } from "node:fs";
import { Socket } from "node:net";
import { performance } from "node:perf_hooks";
import { isatty } from "node:tty";
import { Destination, NOTICE_INTERVAL_MS, type OutputWriter, PIPE_BUF } from "./destination.js";
import { FdWriter, StreamWriter } from "./output-writers.js";

const now = () => performance.now();

export function createDestination(fd = 1, options: { shared?: boolean } = {}): Destination {
  const destination = new Destination({
    writer: openWriter(fd),
    now,
    scheduleTurnEnd: (flush) => setImmediate(flush),
    startTimer: (fire, ms) => {
      const timer = setTimeout(fire, ms);
      return () => clearTimeout(timer);
    },
    atomicWriteBytes: options.shared ? PIPE_BUF : undefined,
  });
  setInterval(() => destination.tick(), NOTICE_INTERVAL_MS).unref();
  return destination;
}

export function openWriter(fd: number): OutputWriter {
  let kind: "pipe" | "socket" | "tty" | "other";
  try {
    const stat = fstatSync(fd);
    if (stat.isFIFO()) kind = "pipe";
    else if (stat.isSocket()) kind = "socket";
    else if (isatty(fd)) kind = "tty";
    else kind = "other";
  } catch {
    // A closed fd: every write fails and is counted as lost.
    return new FdWriter(fd, now);
  }
  if (kind === "pipe" || kind === "socket") {
    const own = kind === "pipe" ? reopen(fd, constants.O_WRONLY) : undefined;
    try {
      return new StreamWriter(new Socket({ fd: own ?? fd, readable: false, writable: true }));
    } catch {
      return new FdWriter(own ?? fd, now);
    }
  }
  if (kind === "tty") {
    const own = reopen(fd, constants.O_WRONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
    // Without /proc (not Linux) the terminal is written blocking, as before.
    return new FdWriter(own ?? fd, now);
  }
  return new FdWriter(fd, now);
}

/** A new open file description for what `fd` refers to, or undefined where that is impossible. */
function reopen(fd: number, flags: number): number | undefined {
  try {
    return openSync(`/proc/self/fd/${fd}`, flags);
  } catch {
    return undefined;
  }
}
