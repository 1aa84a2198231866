/**
 * A cluster member that holds every shared listening socket and serves
 * nothing, so the sockets outlive the workers. node:cluster closes a shared
 * socket when the last worker using it leaves: when every worker is down at
 * once (the only listening one killed while its sibling still starts), its
 * accept queue was reset and new clients refused until a worker listened
 * again. With the keeper holding a share, the socket stays open and in
 * LISTEN, clients queue in its backlog, and the next worker to listen gets
 * the same socket and serves them.
 *
 * The keeper asks node:cluster for each socket exactly as a worker's
 * listener does (cluster._getServer, what net and dgram call inside
 * listen() and bind()), in the same order, so it gets the same shares; it
 * never listens or reads on them, so it never takes a client. That works for
 * sockets the primary shares as handles: every UDP socket, and TCP under
 * SCHED_NONE (our default). Under SCHED_RR the primary accepts TCP itself
 * and would hand the keeper clients, so then it keeps UDP sockets only.
 * cluster._getServer is internal (Node 20–26 have it); without it the keeper
 * says so and leaves, and the cluster runs as before.
 */

import cluster from "node:cluster";
import dns from "node:dns";
import { EventEmitter } from "node:events";
import { isIP } from "node:net";
import type { ServerConfig } from "../config/server-config.js";
import { SERVICE_TABLE } from "../server/service-table.js";
import { nativeBinding } from "../transport/native-binding.js";

/** The environment variable that makes a forked cluster member the keeper. */
export const KEEPER_ROLE_VARIABLE = "TIMESERVER_CLUSTER_ROLE";
export const KEEPER_ROLE = "keeper";

/**
 * Keeper → primary: ready for its orders (a message sent before the
 * keeper's listener exists would be lost). Primary → keeper: the sockets to
 * keep. Keeper → primary: done, or why not.
 */
export interface KeeperHelloMessage {
  type: "keeper-hello";
}
export interface KeepMessage {
  type: "keep-sockets";
  config: ServerConfig;
  /** The primary's scheduling policy (a worker cannot see it): under rr, UDP sockets only. */
  roundRobin: boolean;
}
export interface KeptMessage {
  type: "sockets-kept";
  count: number;
  error?: string;
}

type GetServer = (
  owner: EventEmitter,
  query: Record<string, unknown>,
  done: (error: number, handle: unknown) => void,
) => void;

export function isKeptMessage(value: unknown): value is KeptMessage {
  return typeOf(value) === "sockets-kept";
}

export function isKeeperHello(value: unknown): value is KeeperHelloMessage {
  return typeOf(value) === "keeper-hello";
}

function typeOf(value: unknown): unknown {
  return typeof value === "object" && value !== null
    ? (value as { type?: unknown }).type
    : undefined;
}

/** The body of the keeper process. */
export function runSocketKeeper(): void {
  const kept: unknown[] = [];
  // The primary stops the keeper; a Ctrl-C to the process group is its business.
  process.on("SIGINT", () => {});
  process.on("SIGTERM", () => process.exit(0));
  process.on("message", (message: unknown) => {
    if ((message as Partial<KeepMessage>)?.type !== "keep-sockets") return;
    const { config, roundRobin } = message as KeepMessage;
    keep(config, roundRobin, kept).then(
      () => process.send?.({ type: "sockets-kept", count: kept.length } satisfies KeptMessage),
      (error: unknown) =>
        process.send?.({
          type: "sockets-kept",
          count: kept.length,
          error: error instanceof Error ? error.message : String(error),
        } satisfies KeptMessage),
    );
  });
  process.send?.({ type: "keeper-hello" } satisfies KeeperHelloMessage);
}

async function keep(config: ServerConfig, roundRobin: boolean, kept: unknown[]): Promise<void> {
  const getServer = (cluster as unknown as { _getServer?: GetServer })._getServer;
  if (typeof getServer !== "function") throw new Error("this Node has no cluster._getServer");
  for (const row of SERVICE_TABLE) {
    const port = row.port(config);
    if (port === undefined) continue;
    if (row.transport === "tcp" && roundRobin) continue;
    // A worker's native UDP socket is its own (SO_REUSEPORT, one per worker),
    // not a share of the primary's: a share held here would take the port
    // from them. A datagram that comes while every worker is down is lost.
    if (row.transport === "udp" && nativeUdpInWorkers(config, port)) continue;
    const { address, family } = await resolve(config.host);
    // As net and dgram ask (the primary keys its shares by address, port,
    // type and fd): net with no fd, dgram with fd -1.
    const query =
      row.transport === "udp"
        ? { address, port, addressType: `udp${family}`, fd: -1, flags: 0 }
        : { address, port, addressType: family, fd: undefined, flags: 0 };
    const handle = await new Promise<unknown>((done, fail) => {
      getServer.call(cluster, new EventEmitter(), query, (error, share) =>
        error === 0 ? done(share) : fail(new Error(`error ${error}`)),
      );
    });
    kept.push(handle);
  }
}

/** Whether workers serve UDP `port` from native sockets of their own (create-udp-backend.ts). */
function nativeUdpInWorkers(config: ServerConfig, port: number): boolean {
  return config.udpBackend !== "dgram" && port !== 0 && nativeBinding() !== undefined;
}

/** The address and family net and dgram would ask node:cluster for (they resolve the host first). */
function resolve(host: string): Promise<{ address: string; family: 4 | 6 }> {
  const family = isIP(host);
  if (family !== 0) return Promise.resolve({ address: host, family: family as 4 | 6 });
  return new Promise((done, fail) =>
    dns.lookup(host, (error, address, found) =>
      error ? fail(error) : done({ address, family: found === 6 ? 6 : 4 }),
    ),
  );
}
