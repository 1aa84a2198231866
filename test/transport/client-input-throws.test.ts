/**
 * A throw while serving one client (a bug its input found) ends that
 * client's connection or drops its datagram, counted and logged at most once
 * a second; the listener serves the next client as before. Services here
 * throw on purpose, on a byte the test chooses.
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { CounterRegistry } from "../../src/metrics/counters.js";
import type { Connection } from "../../src/transport/connection.js";
import { TcpListener, type TcpService } from "../../src/transport/tcp-listener.js";
import { UdpListener, type UdpService } from "../../src/transport/udp-listener.js";
import { ManualClock } from "../helpers/manual-clock.js";
import { recordingLogger } from "../helpers/recording-logger.js";
import { udpClientFor } from "../helpers/udp-client.js";
import { connectFor } from "../helpers/wire-client.js";

const INTERNAL = "timeserver_internal_errors_total";

/** Echoes a datagram, but throws on one that starts with "!". */
const throwingUdp: UdpService = {
  name: "echo",
  handle(datagram) {
    if (datagram[0] === 0x21) throw new Error("bug\nsecond line");
    return datagram;
  },
};

/** Echoes bytes, but throws on "!"; greets with "hi" unless the greeting is asked to throw. */
function throwingTcp(throwOnOpen = false): TcpService {
  return {
    name: "echo",
    readsRequests: true,
    open(connection: Connection) {
      if (throwOnOpen) throw new Error("open bug");
      connection.write(Buffer.from("hi"));
      connection.handler = {
        receive(chunk) {
          if (chunk.includes(0x21)) throw new Error("receive bug");
          connection.write(chunk);
        },
        peerFinished() {
          connection.close("peer-finished");
        },
      };
    },
  };
}

describe("a throw while serving one client", () => {
  it("UDP: drops that datagram, counted and logged on one line; the next is answered", async (t) => {
    const clock = new ManualClock();
    const counters = new CounterRegistry();
    const { logger, sink } = recordingLogger("info");
    const listener = new UdpListener({
      service: throwingUdp,
      host: "127.0.0.1",
      port: 0,
      clock,
      counters,
      logger,
    });
    const { port } = await listener.listen();
    t.after(() => listener.close());
    const client = await udpClientFor(t);
    for (let n = 0; n < 3; n++) await client.send(port, Buffer.from("!boom"));
    assert.equal((await client.request(port, Buffer.from("ok"))).toString(), "ok");
    assert.equal(counters.total(INTERNAL, { protocol: "echo", transport: "udp" }), 3);
    assert.equal(
      counters.total("timeserver_datagrams_dropped_total", { protocol: "echo", reason: "error" }),
      3,
    );
    const lines = sink.find("warn", /No reply to a echo datagram/);
    assert.equal(lines.length, 1, "logged at most once a second");
    assert.match(lines[0]?.message ?? "", /: bug$/);
  });

  it("TCP: closes that connection, counted and logged; the listener serves the next", async (t) => {
    const clock = new ManualClock();
    const counters = new CounterRegistry();
    const { logger, sink } = recordingLogger("info");
    const listener = new TcpListener({
      service: throwingTcp(),
      host: "127.0.0.1",
      port: 0,
      maxConnections: 8,
      idleTimeoutMs: 0,
      closeGraceMs: 1000,
      clock,
      counters,
      logger,
    });
    const { port } = await listener.listen();
    t.after(() => listener.close());
    const bad = await connectFor(t, port);
    bad.send("!");
    await bad.waitForClose();
    const good = await connectFor(t, port);
    assert.equal((await good.request("abc", 5)).toString(), "hiabc");
    assert.equal(counters.total(INTERNAL, { protocol: "echo", transport: "tcp" }), 1);
    assert.equal(sink.find("warn", /serving it failed: receive bug/).length, 1);
  });

  it("TCP: a service that throws as it opens a connection closes only that one", async (t) => {
    const counters = new CounterRegistry();
    const listener = new TcpListener({
      service: throwingTcp(true),
      host: "127.0.0.1",
      port: 0,
      maxConnections: 8,
      idleTimeoutMs: 0,
      closeGraceMs: 1000,
      clock: new ManualClock(),
      counters,
    });
    const { port } = await listener.listen();
    t.after(() => listener.close());
    for (let n = 0; n < 2; n++) {
      const client = await connectFor(t, port);
      assert.equal((await client.waitForClose()).length, 0);
    }
    assert.equal(counters.total(INTERNAL, { protocol: "echo", transport: "tcp" }), 2);
    assert.equal(listener.connections, 0);
  });
});
