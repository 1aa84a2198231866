/**
 * Where log lines go: a file descriptor, written once per event-loop turn.
 *
 * Lines logged while the loop serves a batch of reads are joined and written
 * with one system call at the end of that turn, so a busy server makes few
 * writes and the order of lines is always the order they were logged (an
 * asynchronous writer with a synchronous flush at exit can reorder them).
 * What a stuck reader of our output can make us hold is bounded: past
 * MAX_BUFFERED_BYTES new lines are dropped and counted, never queued.
 */

import { writeSync } from "node:fs";

const MAX_BUFFERED_BYTES = 8 * 1024 * 1024;
const RETRY_AFTER_MS = 10;

export class Destination {
  /** Lines dropped because the reader of our output fell too far behind. */
  dropped = 0;
  private pending: string[] = [];
  private pendingBytes = 0;
  private scheduled = false;

  constructor(
    private readonly fd: number,
    private readonly maxBufferedBytes = MAX_BUFFERED_BYTES,
  ) {}

  write(line: string): boolean {
    if (this.pendingBytes >= this.maxBufferedBytes) {
      this.dropped++;
      return false;
    }
    this.pending.push(line);
    this.pendingBytes += line.length;
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(flushScheduled, this);
    }
    return true;
  }

  /** Write everything pending now; with `persist`, wait out a full pipe (before exit). */
  flushSync(persist = true): void {
    this.scheduled = false;
    if (this.pending.length === 0) return;
    let data = Buffer.from(
      this.pending.length === 1 ? (this.pending[0] as string) : this.pending.join(""),
    );
    this.pending = [];
    this.pendingBytes = 0;
    const deadline = Date.now() + 1000;
    while (data.length > 0) {
      try {
        data = data.subarray(writeSync(this.fd, data));
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === "EAGAIN" && !persist) {
          this.requeue(data);
          return;
        }
        // A reader that went away (EPIPE, EBADF) or never drains must not
        // take the server down; the lines are lost, the service is not.
        if (code !== "EAGAIN" || Date.now() > deadline) return;
      }
    }
  }

  private requeue(rest: Buffer): void {
    this.pending.unshift(rest.toString());
    this.pendingBytes += rest.length;
    this.scheduled = true;
    setTimeout(flushScheduled, RETRY_AFTER_MS, this).unref();
  }
}

function flushScheduled(destination: Destination): void {
  destination.flushSync(false);
}

export function createDestination(fd = 1): Destination {
  return new Destination(fd);
}
