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

  /**
   * @param atomicWriteBytes when several processes share the output (cluster
   * workers on one pipe), write whole lines in pieces no larger than this so
   * the kernel never interleaves one process's line with another's (pipes
   * keep writes of up to PIPE_BUF = 4096 bytes whole).
   */
  constructor(
    private readonly fd: number,
    private readonly maxBufferedBytes = MAX_BUFFERED_BYTES,
    private readonly atomicWriteBytes?: number,
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
    const chunks =
      this.atomicWriteBytes === undefined
        ? [this.pending.join("")]
        : joinLinesUpTo(this.pending, this.atomicWriteBytes);
    this.pending = [];
    this.pendingBytes = 0;
    for (let i = 0; i < chunks.length; i++) {
      const rest = this.writeAll(Buffer.from(chunks[i] as string), persist);
      if (rest !== undefined) {
        this.requeue([rest.toString(), ...chunks.slice(i + 1)]);
        return;
      }
    }
  }

  /** Undefined when all was written (or lost to a dead reader); the unwritten rest on a full pipe. */
  private writeAll(data: Buffer, persist: boolean): Buffer | undefined {
    const deadline = Date.now() + 1000;
    while (data.length > 0) {
      try {
        data = data.subarray(writeSync(this.fd, data));
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === "EAGAIN" && !persist) return data;
        // A reader that went away (EPIPE, EBADF) or never drains must not
        // take the server down; the lines are lost, the service is not.
        if (code !== "EAGAIN" || Date.now() > deadline) return undefined;
      }
    }
    return undefined;
  }

  private requeue(rest: string[]): void {
    this.pending = [...rest, ...this.pending];
    for (const chunk of rest) this.pendingBytes += chunk.length;
    this.scheduled = true;
    setTimeout(flushScheduled, RETRY_AFTER_MS, this).unref();
  }
}

/** Whole lines joined into chunks of at most `limit` bytes (a longer line stands alone). */
export function joinLinesUpTo(lines: readonly string[], limit: number): string[] {
  const chunks: string[] = [];
  let chunk = "";
  for (const line of lines) {
    if (chunk.length > 0 && Buffer.byteLength(chunk) + Buffer.byteLength(line) > limit) {
      chunks.push(chunk);
      chunk = "";
    }
    chunk += line;
  }
  if (chunk.length > 0) chunks.push(chunk);
  return chunks;
}

function flushScheduled(destination: Destination): void {
  destination.flushSync(false);
}

/** Pipes keep writes up to this size whole (Linux PIPE_BUF). */
export const PIPE_BUF = 4096;

export function createDestination(fd = 1, options: { shared?: boolean } = {}): Destination {
  return new Destination(fd, MAX_BUFFERED_BYTES, options.shared ? PIPE_BUF : undefined);
}
