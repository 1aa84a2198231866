/**
 * The two ways a log chunk reaches a file descriptor without ever blocking
 * the event loop, behind Destination's one-write-in-flight OutputWriter:
 *
 * - FdWriter: `writeSync` on an fd that never blocks for a reader (a regular
 *   file, or a terminal reopened non-blocking). A full terminal (Ctrl-S)
 *   answers EAGAIN; the rest is retried on an unref'd timer, backing off.
 * - StreamWriter: a net.Socket over a pipe or socket. libuv puts the fd in
 *   non-blocking mode and writes when the reader makes room; a stuck reader
 *   costs only what Destination lets queue, and never delays process.exit.
 *
 * Threadpool writes (`fs.write`) are not used: a pool thread blocked in
 * write() on a stuck pipe holds up process.exit for as long as it is stuck.
 */

import { writeSync } from "node:fs";
import type { Socket } from "node:net";
import type { OutputWriter } from "./destination.js";

const FIRST_RETRY_MS = 1;
const LAST_RETRY_MS = 64;
const SLEEP_CELL = new Int32Array(new SharedArrayBuffer(4));

type Attempt = "written" | "again" | "lost";

export class FdWriter implements OutputWriter {
  private rest: Buffer | undefined;
  private done: ((lost: boolean) => void) | undefined;
  private retryMs = FIRST_RETRY_MS;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly fd: number,
    private readonly now: () => number,
  ) {}

  write(chunk: Buffer, done: (lost: boolean) => void): void {
    this.rest = chunk;
    this.done = done;
    this.retryMs = FIRST_RETRY_MS;
    this.attempt();
  }

  finishSync(deadline: number): boolean {
    if (this.rest === undefined) return true;
    clearTimeout(this.timer);
    this.timer = undefined;
    for (;;) {
      const result = this.writeSome();
      if (result !== "again") {
        this.finish(result === "lost");
        return true;
      }
      if (this.now() >= deadline) {
        this.retryLater();
        return false;
      }
      // Sleep a millisecond rather than spin while the reader makes room.
      Atomics.wait(SLEEP_CELL, 0, 0, 1);
    }
  }

  private readonly attempt = (): void => {
    this.timer = undefined;
    const result = this.writeSome();
    if (result === "again") this.retryLater();
    else this.finish(result === "lost");
  };

  private retryLater(): void {
    this.timer = setTimeout(this.attempt, this.retryMs);
    this.timer.unref();
    this.retryMs = Math.min(this.retryMs * 2, LAST_RETRY_MS);
  }

  private writeSome(): Attempt {
    let rest = this.rest as Buffer;
    try {
      while (rest.length > 0) {
        rest = rest.subarray(writeSync(this.fd, rest));
        this.retryMs = FIRST_RETRY_MS;
      }
      return "written";
    } catch (error) {
      // EPIPE, EBADF, ENOSPC, EIO: the lines are lost, the service is not.
      return (error as NodeJS.ErrnoException).code === "EAGAIN" ? "again" : "lost";
    } finally {
      this.rest = rest;
    }
  }

  private finish(lost: boolean): void {
    const done = this.done as (lost: boolean) => void;
    this.rest = undefined;
    this.done = undefined;
    done(lost);
  }
}

export class StreamWriter implements OutputWriter {
  private busy = false;
  private dead = false;

  constructor(private readonly socket: Socket) {
    // A reader that went away (EPIPE, ECONNRESET) must not take the server down.
    socket.on("error", () => {
      this.dead = true;
    });
    // Our output never keeps the process alive on its own.
    socket.unref();
  }

  write(chunk: Buffer, done: (lost: boolean) => void): void {
    if (this.dead) {
      done(true);
      return;
    }
    this.busy = true;
    this.socket.write(chunk, (error) => {
      this.busy = false;
      done(error !== undefined && error !== null);
    });
  }

  /** Only the event loop can finish a stream write; the caller waits in `close()`. */
  finishSync(): boolean {
    return !this.busy;
  }
}
