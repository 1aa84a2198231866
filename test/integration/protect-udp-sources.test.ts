/**
 * Nothing one datagram holds may end the server. Datagrams from source port
 * 0 (legal on the wire, RFC 768, but unanswerable), from odd addresses all
 * over 127/8 and of every length from 0 to the largest an IPv4 packet
 * carries go, over a raw socket, to every UDP service of the real binary;
 * between batches a normal client is served by each UDP service and by the
 * line protocol. Each batch ends with those normal requests as barriers: one
 * socket reads its datagrams in order, so once a barrier is answered every
 * raw datagram before it has been handled.
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { METRICS_LINE, metricsPortOf, sampleValue, scrape } from "../helpers/metrics-scrape.js";
import {
  MAX_UDP_PAYLOAD,
  type RawDatagram,
  rawUdpUnavailable,
  sendRawDatagrams,
} from "../helpers/raw-udp.js";
import { type StandardServer, startStandardServerFor } from "../helpers/standard-server.js";
import { type UdpClient, udpClientFor } from "../helpers/udp-client.js";
import { connectFor, TIME_REPLY } from "../helpers/wire-client.js";
import { datagram } from "../protocols/sntp-datagrams.js";

const skip = rawUdpUnavailable();
const SERVICES = ["daytime", "rfc868", "ntp"] as const;
type UdpServiceName = (typeof SERVICES)[number];

function portOf(std: StandardServer, service: UdpServiceName): number {
  return service === "daytime"
    ? std.daytimePort
    : service === "rfc868"
      ? std.rfc868Port
      : std.ntpPort;
}

/** A request each service answers. */
function goodRequest(service: UdpServiceName): Buffer {
  return service === "ntp" ? datagram() : Buffer.from("?");
}

/** A normal client is answered by every UDP service and by the line protocol. */
async function servedThroughout(
  t: { after(fn: () => unknown): void },
  std: StandardServer,
  client: UdpClient,
): Promise<void> {
  // An exit fails the test at once rather than after a reply's safety net.
  const exited = std.server.exited.then(() => {
    throw new Error(`the server exited: ${std.server.stderr}`);
  });
  exited.catch(() => {});
  const served = async () => {
    for (const service of SERVICES) {
      const reply = await client.request(portOf(std, service), goodRequest(service));
      assert.ok(reply.length > 0, `${service} answered`);
    }
    const line = await connectFor(t, std.linePort);
    line.send("TIME\r\nQUIT\r\n");
    assert.match((await line.waitForClose()).toString("latin1"), TIME_REPLY);
  };
  await Promise.race([served(), exited]);
  assert.equal(std.server.hasExitedYet, false, `the server exited: ${std.server.stderr}`);
}

describe("hostile UDP sources", { skip }, () => {
  it("a datagram from source port 0 is dropped and counted by every UDP service; the server serves on", async (t) => {
    const std = await startStandardServerFor(t, ["--metrics-port", "0"]);
    const metricsPort = metricsPortOf(await std.server.waitForLine(METRICS_LINE));
    const client = await udpClientFor(t);
    const raw: RawDatagram[] = [];
    for (const service of SERVICES) {
      for (const source of ["127.0.0.1", "127.1.2.3", "127.255.255.254"]) {
        // Empty, RFC 868's usual 1 byte, and each service's own good request.
        for (const payload of [Buffer.alloc(0), Buffer.from("x"), goodRequest(service)]) {
          raw.push({
            source,
            sourcePort: 0,
            destination: "127.0.0.1",
            destinationPort: portOf(std, service),
            payload,
          });
        }
      }
    }
    await sendRawDatagrams(raw);
    await servedThroughout(t, std, client);

    const text = await scrape(metricsPort);
    // daytime and rfc868 answer anything, so all 9 of theirs would have had a
    // reply; ntp drops the empty and 1-byte ones as short before that matters
    // too: port 0 is checked first, so all 9 count as source-port.
    for (const service of SERVICES) {
      assert.equal(
        sampleValue(text, "timeserver_datagrams_dropped_total", {
          protocol: service,
          reason: "source-port",
        }),
        9,
        service,
      );
    }
    assert.doesNotMatch(text, /timeserver_internal_errors_total\{[^}]*\} [1-9]/);
    await std.server.waitForLine(/No reply to a \w+ datagram from 127\.[\d.]+:0: source port 0/);
  });

  it("a fuzz of source address, source port and length leaves every service answering", async (t) => {
    // No per-source rate: the raw sources and the barrier client repeat addresses.
    const std = await startStandardServerFor(t, [
      "--metrics-port",
      "0",
      "--log-level",
      "warn",
      "--udp-greeting-rate",
      "0",
    ]);
    const metricsPort = metricsPortOf(await std.server.waitForLine(METRICS_LINE));
    const client = await udpClientFor(t);
    const octet = fc.integer({ min: 0, max: 255 });
    const rawDatagram = fc.record({
      source: fc
        .tuple(octet, octet, octet)
        .map(([a, b, c]) => `127.${a}.${b}.${c}`)
        .chain((address) => fc.constantFrom(address, "127.0.0.1", "127.0.0.0", "127.255.255.255")),
      sourcePort: fc.oneof(
        fc.constantFrom(0, 0, 1, 7, 13, 37, 123, 65535),
        fc.integer({ min: 0, max: 65535 }),
      ),
      service: fc.constantFrom(...SERVICES),
      // Mostly short ones, sometimes up to the largest an IPv4 packet carries.
      payload: fc.oneof(
        { weight: 8, arbitrary: fc.uint8Array({ minLength: 0, maxLength: 64 }) },
        { weight: 2, arbitrary: fc.integer({ min: 0, max: 1500 }).map((n) => new Uint8Array(n)) },
        {
          weight: 1,
          arbitrary: fc
            .integer({ min: 1500, max: MAX_UDP_PAYLOAD })
            .map((n) => new Uint8Array(n).fill(0x23)),
        },
      ),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(rawDatagram, { minLength: 1, maxLength: 24 }), async (batch) => {
        let large = 0;
        const raw = batch.map(({ source, sourcePort, service, payload }) => {
          // Two large ones a batch at most, so no socket's receive buffer
          // (about 200 KiB) fills and drops a barrier request.
          const kept = payload.length > 1500 && ++large > 2 ? payload.subarray(0, 64) : payload;
          return {
            source,
            sourcePort,
            destination: "127.0.0.1",
            destinationPort: portOf(std, service),
            payload: service === "ntp" && kept.length === 48 ? datagram() : kept,
          };
        });
        await sendRawDatagrams(raw);
        await servedThroughout(t, std, client);
      }),
      { numRuns: 10 },
    );
    const text = await scrape(metricsPort);
    assert.doesNotMatch(text, /timeserver_internal_errors_total\{[^}]*\} [1-9]/);
    assert.equal(std.server.hasExitedYet, false);
  });
});
