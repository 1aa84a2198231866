/**
 * How every benchmark connection is opened. Reads land in one shared buffer
 * through `onread` instead of a fresh Buffer per 'data' event: the callback
 * runs synchronously and the ReplyReader copies out the little it keeps,
 * so one buffer serves every socket and reading allocates nothing.
 */

import net, { type Socket } from "node:net";
import { QUIT_REQUEST_BYTES } from "../protocols/line/requests.js";

const READ_BUFFER = Buffer.allocUnsafe(64 * 1024);

/**
 * Called with the socket as `this` and the bytes in `buffer[0, length)`;
 * returns true to keep reading (false would pause the socket).
 */
export type ReadCallback = (this: Socket, length: number, buffer: Buffer) => boolean;

export function connectBenchSocket(host: string, port: number, onRead: ReadCallback): Socket {
  return net.connect({
    host,
    port,
    // Pipelined requests must leave at once, not wait for the previous ACK.
    noDelay: true,
    onread: { buffer: READ_BUFFER, callback: onRead },
  });
}

/**
 * Start `count` things `batchSize` at a time, each batch waiting until all of
 * its members settle: a burst of thousands of SYNs would overflow the
 * server's listen backlog and turn into retries that look like a slow server.
 */
export async function inBatches(
  count: number,
  batchSize: number,
  start: (index: number) => Promise<void>,
  stopped: () => boolean,
): Promise<void> {
  for (let first = 0; first < count && !stopped(); first += batchSize) {
    const batch: Promise<void>[] = [];
    for (let index = first; index < Math.min(count, first + batchSize); index++) {
      batch.push(start(index));
    }
    await Promise.all(batch);
  }
}

/** Resolves when `socket` connects, or fails or closes first: a batch member is settled either way. */
export function settled(socket: Socket): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      socket.off("connect", done);
      socket.off("close", done);
      resolve();
    };
    socket.once("connect", done);
    socket.once("close", done);
  });
}

/** How long the end of a run waits for the server to close after QUIT. */
const QUIT_GRACE_MS = 2000;

/**
 * End a run the way a client should: QUIT, and let the server close first,
 * so the TIME_WAIT lands on the server's side. A client that closes first
 * keeps a TIME_WAIT per connection and can run short of ephemeral ports over
 * a few back-to-back hold runs. Whatever has not closed after the grace time
 * (or never connected) is destroyed.
 */
export function quitAll(sockets: readonly (Socket | undefined)[]): Promise<void> {
  return new Promise((resolve) => {
    let open = 0;
    let finished = false;
    const finish = () => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      for (const socket of sockets) socket?.destroy();
      resolve();
    };
    const closed = () => {
      open--;
      if (open === 0) finish();
    };
    const timer = setTimeout(finish, QUIT_GRACE_MS);
    for (const socket of sockets) {
      if (socket === undefined || socket.destroyed) continue;
      if (socket.readyState !== "open") {
        socket.destroy();
        continue;
      }
      open++;
      socket.once("close", closed);
      socket.write(QUIT_REQUEST_BYTES);
    }
    if (open === 0) finish();
  });
}
