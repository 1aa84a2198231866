/**
 * The client's address is asked of the kernel only when something needs it:
 * a short session at warn with no address policy never reads it, while info
 * logging, an address policy or a warning still name the real client.
 */

import assert from "node:assert/strict";
import { once } from "node:events";
import { describe, it } from "node:test";
import type { LogLevel } from "../../src/logging/levels.js";
import { Logger, type LogSink } from "../../src/logging/logger.js";
import { CounterRegistry } from "../../src/metrics/counters.js";
import { AccessList } from "../../src/policy/access-list.js";
import type { Admission } from "../../src/policy/admission.js";
import { AdmissionPolicy } from "../../src/policy/admission-policy.js";
import { parseCidrList } from "../../src/policy/cidr.js";
import { LineService } from "../../src/services/line-service.js";
import { TurnBudget } from "../../src/services/turn-budget.js";
import type { Connection } from "../../src/transport/connection.js";
import { SocketPeer } from "../../src/transport/peer.js";
import { TcpListener } from "../../src/transport/tcp-listener.js";
import { ManualClock } from "../helpers/manual-clock.js";
import { exchange, TIME_REPLY } from "../helpers/wire-client.js";

interface Cleanup {
  after(fn: () => unknown): void;
}

function capturingLogger(level: LogLevel): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const sink: LogSink = {
    write(_level, message) {
      lines.push(message);
    },
    flush() {},
    close: async () => 0,
    dropped: 0,
  };
  return { logger: new Logger(level, sink), lines };
}

/** A line service on a loopback listener; `closed()` resolves when the server side of the next connection has closed. */
async function lineListener(t: Cleanup, level: LogLevel, admission?: Admission) {
  const clock = new ManualClock();
  const counters = new CounterRegistry();
  const { logger, lines } = capturingLogger(level);
  const service = new LineService({
    maxLine: 16,
    timeZone: "UTC",
    logger,
    clock,
    counters,
    budget: new TurnBudget(clock),
    ...(admission === undefined ? {} : { admission }),
  });
  let opened: Promise<Connection> | undefined;
  let resolveOpened: (connection: Connection) => void = () => {};
  const open = service.open.bind(service);
  service.open = (connection) => {
    resolveOpened(connection);
    open(connection);
  };
  const listener = new TcpListener({
    service,
    host: "127.0.0.1",
    port: 0,
    maxConnections: 16,
    idleTimeoutMs: 0,
    closeGraceMs: 1000,
    logger,
    clock,
    counters,
    ...(admission === undefined ? {} : { admission }),
  });
  const address = await listener.listen();
  t.after(() => listener.close());
  const nextClosed = () => {
    opened = new Promise((resolve) => {
      resolveOpened = resolve;
    });
    return opened.then(async (connection) => {
      await once(connection.socket, "close");
      return connection.peer;
    });
  };
  return { port: address.port, lines, nextClosed };
}

describe("SocketPeer", () => {
  it("asks the socket nothing until read, then once for good", () => {
    let asked = 0;
    const socket = {
      get remoteAddress() {
        asked++;
        return "192.0.2.7";
      },
      get remotePort() {
        asked++;
        return 4123;
      },
    };
    const peer = new SocketPeer(socket);
    assert.equal(asked, 0);
    assert.equal(peer.port, 4123);
    assert.equal(peer.address, "192.0.2.7");
    peer.read();
    assert.equal(peer.address, "192.0.2.7");
    assert.equal(asked, 2, "each of address and port is asked exactly once");
  });

  it("reads as unknown, port 0, when the socket no longer knows its peer", () => {
    const peer = new SocketPeer({ remoteAddress: undefined, remotePort: undefined });
    assert.equal(peer.address, "unknown");
    assert.equal(peer.port, 0);
  });
});

describe("TcpListener reads the client's address only when needed", () => {
  it("at warn with no address policy, a TIME/QUIT session never reads it", async (t) => {
    const server = await lineListener(t, "warn");
    const closed = server.nextClosed();
    const reply = await exchange(server.port, "TIME\r\nQUIT\r\n");
    const peer = await closed;
    assert.match(reply.toString("latin1"), TIME_REPLY);
    assert.ok(peer instanceof SocketPeer);
    assert.equal(peer.known, false, "the session asked for the client's address");
  });

  it("at warn, a warning read after accept still names the client", async (t) => {
    const server = await lineListener(t, "warn");
    const closed = server.nextClosed();
    await exchange(server.port, `${"x".repeat(40)}\r\n`);
    await closed;
    const warning = server.lines.find((line) => line.startsWith("Line longer"));
    assert.match(warning ?? "", /^Line longer than 16 bytes from 127\.0\.0\.1;/);
  });

  it("at info, the disconnect line (after the socket closed) names the client", async (t) => {
    const server = await lineListener(t, "info");
    const closed = server.nextClosed();
    await exchange(server.port, "QUIT\r\n");
    await closed;
    const disconnect = server.lines.find((line) => line.startsWith("Connection closed from"));
    assert.match(disconnect ?? "", /^Connection closed from 127\.0\.0\.1:\d+$/);
  });

  it("with an access list, the client is judged by its real address", async (t) => {
    const clock = new ManualClock();
    const deny = new AdmissionPolicy({
      access: new AccessList([], parseCidrList("--deny", "127.0.0.0/8")),
      clock,
    });
    const server = await lineListener(t, "warn", deny);
    const reply = await exchange(server.port, "TIME\r\n");
    assert.equal(reply.length, 0, "a denied client got bytes");
  });
});
