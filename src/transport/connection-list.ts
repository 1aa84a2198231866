/**
 * The live connections of a listener, as a doubly-linked list threaded
 * through the connections themselves. A `Set` did the same job, but every
 * insert wrote a young connection into the set's long-lived table, which the
 * next scavenge then had to visit: co-runs of the naive peer with and
 * without a set of its sockets measured 2–3% of a churn load (connect, one
 * request, close) for the set alone. Links between connections cost the
 * young generation nothing of the kind.
 */

import type { Connection } from "./connection.js";

export class ConnectionList implements Iterable<Connection> {
  private head: Connection | undefined;
  private count = 0;

  get size(): number {
    return this.count;
  }

  add(connection: Connection): void {
    if (connection.listed) return;
    connection.listed = true;
    connection.nextLive = this.head;
    connection.prevLive = undefined;
    if (this.head !== undefined) this.head.prevLive = connection;
    this.head = connection;
    this.count++;
  }

  /** False when `connection` was not in the list. */
  delete(connection: Connection): boolean {
    if (!connection.listed) return false;
    connection.listed = false;
    const { prevLive, nextLive } = connection;
    if (prevLive === undefined) this.head = nextLive;
    else prevLive.nextLive = nextLive;
    if (nextLive !== undefined) nextLive.prevLive = prevLive;
    connection.prevLive = undefined;
    connection.nextLive = undefined;
    this.count--;
    return true;
  }

  /**
   * Newest first: the connections listed when the walk began, each only if
   * it is still listed when reached, so a walk that closes connections as it
   * goes (the sweep, shutdown) neither stops early nor visits one deleted.
   */
  *[Symbol.iterator](): Iterator<Connection> {
    const listed: Connection[] = [];
    for (let c = this.head; c !== undefined; c = c.nextLive) listed.push(c);
    for (const connection of listed) if (connection.listed) yield connection;
  }
}
