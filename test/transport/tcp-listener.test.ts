/**
 * The listener's deadlines, on real sockets and an injected clock: an idle
 * timeout or a lingering close never fires early, and fires within one sweep
 * interval of its deadline. No test here waits for real seconds.
 */

import assert from "node:assert/strict";
import { once } from "node:events";
import { describe, it } from "node:test";
import { createTimeServer } from "../../src/server/time-server.js";
import { SWEEP_INTERVAL_MS } from "../../src/transport/tcp-listener.js";
import { ManualClock } from "../helpers/manual-clock.js";
import { WireClient } from "../helpers/wire-client.js";

async function serverWith(
  clock: ManualClock,
  options: { idleTimeout?: number; closeGrace?: number },
) {
  const server = createTimeServer({ host: "127.0.0.1", port: 0, clock, ...options });
  await server.listen();
  return server;
}

describe("TcpListener deadlines", () => {
  it("closes a silent client no earlier than --idle-timeout, and within one sweep after", async (t) => {
    const clock = new ManualClock();
    const server = await serverWith(clock, { idleTimeout: 1 });
    t.after(() => server.close());
    const connected = once(server, "connection");
    const client = await WireClient.connect(server.address()!.port);
    t.after(() => client.destroy());
    await connected;
    clock.advance(999);
    assert.equal(server.closingConnections, 0, "closed before its idle timeout");
    clock.advance(SWEEP_INTERVAL_MS);
    assert.equal(server.closingConnections, 1, "not closed within one sweep of its deadline");
    assert.equal((await client.waitForEnd()).length, 0);
  });

  it("counts idle time from the last byte the client sent", async (t) => {
    const clock = new ManualClock();
    const server = await serverWith(clock, { idleTimeout: 2 });
    t.after(() => server.close());
    const client = await WireClient.connect(server.address()!.port);
    t.after(() => client.destroy());
    clock.advance(1500);
    client.send("TIME\r\n");
    await client.waitForBytes(14);
    clock.advance(1999);
    assert.equal(server.closingConnections, 0, "idle time was counted from before the request");
    clock.advance(SWEEP_INTERVAL_MS);
    assert.equal(server.closingConnections, 1);
  });

  it("lingers after QUIT for the whole grace time, then destroys a client that never closes", async (t) => {
    const clock = new ManualClock();
    const server = await serverWith(clock, { closeGrace: 2000, idleTimeout: 0 });
    t.after(() => server.close());
    const client = await WireClient.connect(server.address()!.port, "127.0.0.1", {
      allowHalfOpen: true,
    });
    t.after(() => client.destroy());
    client.send("QUIT\r\n");
    await client.waitForEnd();
    assert.equal(server.closingConnections, 1);
    clock.advance(1999);
    assert.equal(server.connections, 1, "destroyed before the linger time was over");
    const disconnected = once(server, "disconnect");
    clock.advance(SWEEP_INTERVAL_MS);
    await disconnected;
    assert.equal(server.connections, 0);
  });
});

describe("createTimeServer", () => {
  it("rejects a bad option when it is created, naming it", () => {
    for (const [options, name] of [
      [{ maxLine: 4 }, "maxLine"],
      [{ port: 70000 }, "port"],
      [{ maxConnections: 0 }, "maxConnections"],
      [{ idleTimeout: -1 }, "idleTimeout"],
      [{ timeZone: "Mars/Olympus" }, "timeZone"],
    ] as const) {
      assert.throws(
        () => createTimeServer(options),
        (error: Error & { code?: string }) =>
          error.code === "TS_ERR_CONFIG" && error.message.includes(name),
        name,
      );
    }
  });
});
