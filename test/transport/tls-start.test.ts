/**
 * A TLS listener's handshakes, on real sockets and an injected clock: one
 * not done by the deadline (half a ClientHello, or not a byte) is closed,
 * counted and logged; over the cap of handshakes in progress a new one is
 * refused, counted and logged, and a slot freed lets the next one through.
 */

import assert from "node:assert/strict";
import { once } from "node:events";
import net from "node:net";
import { describe, it } from "node:test";
import tls from "node:tls";
import { CounterRegistry } from "../../src/metrics/counters.js";
import type { Connection } from "../../src/transport/connection.js";
import { SWEEP_INTERVAL_MS, TcpListener } from "../../src/transport/tcp-listener.js";
import { TlsContext } from "../../src/transport/tls-context.js";
import { ManualClock } from "../helpers/manual-clock.js";
import { recordingLogger } from "../helpers/recording-logger.js";
import {
  captureClientHello,
  haveOpenssl,
  makeCertificate,
  scratchDir,
  tlsRequest,
} from "../helpers/tls-files.js";
import { connectFor } from "../helpers/wire-client.js";

const skip = haveOpenssl ? false : "openssl is not installed (Debian package: openssl)";

/** Answers every chunk with "ok\r\n". */
const okService = {
  name: "line",
  readsRequests: true,
  open(connection: Connection) {
    connection.handler = {
      receive() {
        connection.write(Buffer.from("ok\r\n"));
      },
      peerFinished() {
        connection.close("peer-finished");
      },
    };
  },
};

async function tlsListener(
  t: { after(fn: () => unknown): void },
  options: { handshakeTimeoutMs?: number; maxHandshakes?: number },
) {
  const cert = makeCertificate(scratchDir(t, "tls-start-"), "server");
  const clock = new ManualClock();
  const counters = new CounterRegistry();
  const { logger, sink } = recordingLogger("info");
  const listener = new TcpListener({
    service: okService,
    name: "tls",
    host: "127.0.0.1",
    port: 0,
    maxConnections: 64,
    idleTimeoutMs: 0,
    closeGraceMs: 1000,
    clock,
    counters,
    logger,
    tls: {
      wrap: new TlsContext(cert.certFile, cert.keyFile).wrap,
      handshakeTimeoutMs: options.handshakeTimeoutMs ?? 10_000,
      maxHandshakes: options.maxHandshakes ?? 64,
    },
  });
  const { port } = await listener.listen();
  t.after(() => listener.close());
  return { listener, port, clock, counters, sink, ca: cert.pem };
}

/** Connect, send half of a real ClientHello, and resolve once the listener has started TLS on it. */
async function halfHello(
  t: { after(fn: () => unknown): void },
  listener: TcpListener,
  port: number,
  hello: Buffer,
) {
  const started = once(listener, "connection");
  const client = await connectFor(t, port);
  client.send(hello.subarray(0, hello.length >> 1));
  await started;
  return client;
}

describe("TLS handshakes", { skip }, () => {
  it("a client that sends half a ClientHello, and one that sends nothing, are closed at the handshake deadline, counted and logged", async (t) => {
    const { listener, port, clock, counters, sink } = await tlsListener(t, {
      handshakeTimeoutMs: 10_000,
    });
    const hello = await captureClientHello();
    const silent = await connectFor(t, port);
    const half = await halfHello(t, listener, port, hello);
    assert.equal(listener.connections, 2);
    clock.advance(9_999);
    assert.equal(listener.connections, 2, "closed before the deadline");
    clock.advance(SWEEP_INTERVAL_MS);
    await silent.waitForClose();
    await half.waitForClose();
    assert.equal(counters.total("timeserver_tls_handshake_timeouts_total", { protocol: "tls" }), 2);
    const lines = sink.find("info", /^TLS handshake not done within 10 s: closed 127\.0\.0\.1:/);
    assert.equal(lines.length, 1, "logged at most once a second");
  });

  it("over --tls-max-handshakes a new handshake is refused with no byte, counted and logged; a freed slot lets the next through", async (t) => {
    const { listener, port, counters, sink, ca } = await tlsListener(t, { maxHandshakes: 2 });
    const hello = await captureClientHello();
    const first = await halfHello(t, listener, port, hello);
    await halfHello(t, listener, port, hello);
    const refusedAt = once(listener, "rejected");
    const third = await connectFor(t, port);
    third.send(hello);
    const [, reason] = await refusedAt;
    assert.equal(reason, "handshake-limit");
    assert.equal((await third.waitForClose()).length, 0, "a refused client gets no byte");
    assert.equal(
      counters.total("timeserver_connections_refused_total", {
        protocol: "tls",
        reason: "handshake-limit",
      }),
      1,
    );
    assert.equal(sink.find("warn", /^TLS handshake limit reached: refused /).length, 1);

    const freed = once(listener, "disconnect");
    first.destroy();
    await freed;
    const socket = tls.connect({ port, host: "127.0.0.1", servername: "localhost", ca });
    t.after(() => socket.destroy());
    await once(socket, "secureConnect");
    assert.equal(await tlsRequest(socket, "TIME\r\n", 1), "ok\r\n");
  });

  it("a connection that ends before its first byte is closed as plain TCP, no TLS error logged", async (t) => {
    const { listener, port, sink } = await tlsListener(t, {});
    const gone = once(listener, "disconnect");
    const client = net.connect(port, "127.0.0.1");
    await once(client, "connect");
    client.end();
    await gone;
    client.destroy();
    assert.equal(sink.find("info", /TLS error/).length, 0);
  });
});
