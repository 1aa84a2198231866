/**
 * --udp-greeting-rate: daytime and RFC 868 over UDP answer each source
 * address at most its burst at once and its rate after, on the runtime's
 * clock (a ManualClock here, so the counts are exact); over it a datagram is
 * dropped and counted as rate-limit, and other sources are answered as
 * before. One table serves both protocols. The rate is policy's
 * (policy/admission-policy.ts); this is the option reaching it.
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseServerCommand } from "../../src/config/server-config.js";
import { type Logger, SILENT_LOGGER } from "../../src/logging/logger.js";
import { ServerRuntime } from "../../src/server/server-runtime.js";
import { UdpListener } from "../../src/transport/udp-listener.js";
import { ManualClock } from "../helpers/manual-clock.js";
import { recordingLogger } from "../helpers/recording-logger.js";
import { UdpClient } from "../helpers/udp-client.js";

async function runtimeWith(
  t: { after(fn: () => unknown): void },
  args: string[],
  logger: Logger = SILENT_LOGGER,
) {
  const command = parseServerCommand(
    ["--host", "127.0.0.1", "--port", "0", "--daytime-port", "0", "--rfc868-port", "0", ...args],
    {},
  );
  assert.equal(command.kind, "run");
  if (command.kind !== "run") throw new Error("unreachable");
  const clock = new ManualClock();
  const runtime = new ServerRuntime(command.config, logger, { clock });
  await runtime.listen();
  t.after(() => runtime.close());
  const udpPort = (name: string) =>
    (
      runtime.listeners.find(
        (each) => each instanceof UdpListener && each.service.name === name,
      ) as UdpListener
    ).address()?.port as number;
  return { runtime, clock, daytime: udpPort("daytime"), rfc868: udpPort("rfc868") };
}

async function clientFor(t: { after(fn: () => unknown): void }, host: string) {
  const client = await UdpClient.open(host);
  t.after(() => client.close());
  return client;
}

describe("--udp-greeting-rate", () => {
  it("answers a source its burst at once, then its rate; other sources go on being answered", async (t) => {
    const { runtime, clock, daytime, rfc868 } = await runtimeWith(t, ["--udp-greeting-rate", "2"]);
    const flood = await clientFor(t, "127.0.0.1");
    const other = await clientFor(t, "127.0.0.2");
    // 10 to daytime and 10 to RFC 868 from one source: one table, a burst of 16.
    for (let n = 0; n < 10; n++) await flood.send(daytime, Buffer.alloc(0));
    for (let n = 0; n < 10; n++) await flood.send(rfc868, Buffer.alloc(0));
    // Each socket reads in order: once the other source is answered, the flood was handled.
    await other.request(daytime, Buffer.alloc(0));
    await other.request(rfc868, Buffer.alloc(0));
    await flood.waitFor(() => flood.replies.length >= 16);
    const dropped = (protocol: string) =>
      runtime.counters.total("timeserver_datagrams_dropped_total", {
        protocol,
        reason: "rate-limit",
      });
    assert.equal(dropped("daytime"), 0);
    assert.equal(dropped("rfc868"), 4);
    assert.equal(flood.replies.length, 16);

    // Half a second later (rate 2/s) one more is answered.
    clock.advance(500);
    await flood.send(rfc868, Buffer.alloc(0));
    await flood.send(rfc868, Buffer.alloc(0));
    await other.request(rfc868, Buffer.alloc(0));
    await flood.waitFor(() => true, 16);
    assert.equal(dropped("rfc868"), 5);
  });

  it("0 turns the bound off", async (t) => {
    const { runtime, daytime } = await runtimeWith(t, ["--udp-greeting-rate", "0"]);
    const client = await clientFor(t, "127.0.0.1");
    for (let n = 0; n < 40; n++) await client.request(daytime, Buffer.alloc(0));
    assert.equal(
      runtime.counters.total("timeserver_datagrams_dropped_total", {
        protocol: "daytime",
        reason: "rate-limit",
      }),
      0,
    );
  });

  it("logs a drop as docs/hardening.md says: the protocol, the source, and which rate", async (t) => {
    const { logger, sink } = recordingLogger("info");
    const { daytime } = await runtimeWith(
      t,
      ["--udp-greeting-rate", "1", "--log-level", "info"],
      logger,
    );
    const client = await clientFor(t, "127.0.0.1");
    for (let n = 0; n < 17; n++) await client.send(daytime, Buffer.alloc(0));
    await client.waitFor(() => client.replies.length >= 16);
    const clientPort = client.socket.address().port;
    // The 17th went unanswered; once a later source is served, its line is written.
    await (await clientFor(t, "127.0.0.2")).request(daytime, Buffer.alloc(0));
    const drops = sink.find("info", /^No reply to a daytime datagram/);
    assert.deepEqual(drops, [
      {
        level: "info",
        message: `No reply to a daytime datagram from 127.0.0.1:${clientPort}: over --udp-greeting-rate for its source`,
        fields: {
          event: "dropped",
          protocol: "daytime",
          reason: "rate-limit",
          remoteAddress: "127.0.0.1",
          suppressed: 0,
        },
      },
    ]);
  });
});
