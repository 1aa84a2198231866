/**
 * The program's true-time options end to end: the UDP backend it says it
 * uses, `--udp-backend native` refused in one line where the module is
 * switched off, and an SNTP header that tells the kernel clock's state as
 * this machine's kernel reports it (unless `--local`).
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { STA_UNSYNC, TIME_ERROR } from "../../src/clock/served-clock.js";
import { decodeSntpPacket } from "../../src/protocols/sntp.js";
import { nativeBinding } from "../../src/transport/native-binding.js";
import { pickDualPorts } from "../helpers/dual-port.js";
import { METRICS_LINE, metricsPortOf, sampleValue, scrape } from "../helpers/metrics-scrape.js";
import { runProgram, SERVER_BIN, startServerFor } from "../helpers/server-process.js";
import { udpClientFor } from "../helpers/udp-client.js";
import { datagram } from "../protocols/sntp-datagrams.js";

describe("true time", () => {
  it("--udp-backend native without the module: one line on stderr, a non-zero exit, no stack", async (t) => {
    const result = await runProgram(SERVER_BIN, ["--port", "0", "--udp-backend", "native"], {
      env: { TIMESERVER_NO_NATIVE: "1" },
      signal: t.signal,
    });
    assert.notEqual(result.code, 0);
    assert.match(
      result.stderr,
      /^timeserver: invalid --udp-backend "native": is not available: switched off by TIMESERVER_NO_NATIVE=1\n/,
    );
    assert.doesNotMatch(result.stderr, /^\s+at /m);
  });

  it("without --local, the SNTP header says what the kernel says, and the log says which backend", async (t) => {
    const [ntpPort] = (await pickDualPorts(1)) as [number];
    const server = await startServerFor(t, ["--ntp-port", String(ntpPort)], {
      TIMESERVER_LOCAL: "0",
    });
    const backend = nativeBinding() === undefined ? "dgram" : "native";
    await server.waitForLine(
      new RegExp(`Listening on 127\\.0\\.0\\.1:\\d+ \\(ntp, UDP, ${backend}\\)`),
    );
    const client = await udpClientFor(t);
    const reply = decodeSntpPacket(await client.request(ntpPort, datagram()));
    const kernel = nativeBinding()?.clockState();
    const unsynchronised =
      kernel === undefined || (kernel.status & STA_UNSYNC) !== 0 || kernel.state === TIME_ERROR;
    if (unsynchronised) {
      assert.deepEqual([reply.leap, reply.stratum, reply.referenceTime], [3, 0, null]);
      await server.waitForLine(/kernel clock.*LI 3, stratum 0/);
    } else {
      assert.notEqual(reply.leap, 3);
      assert.equal(reply.stratum, 10);
    }
  });

  it("--udp-thread serves UDP from its own thread: answers, counts in the metrics, stops on SIGTERM", async (t) => {
    const [ntpPort, rfc868Port] = (await pickDualPorts(2)) as [number, number];
    const server = await startServerFor(t, [
      "--udp-thread",
      "--ntp-port",
      String(ntpPort),
      "--rfc868-port",
      String(rfc868Port),
      "--metrics-port",
      "0",
    ]);
    await server.waitForLine(/Listening on 127\.0\.0\.1:\d+ \(ntp, UDP, \w+\)/);
    await server.waitForLine(/UDP is served from a thread of its own \(--udp-thread\)/);
    const metricsPort = metricsPortOf(await server.waitForLine(METRICS_LINE));
    const client = await udpClientFor(t);
    for (let i = 0; i < 3; i++) {
      const reply = decodeSntpPacket(await client.request(ntpPort, datagram()));
      assert.equal(reply.mode, 4);
    }
    assert.equal((await client.request(rfc868Port, Buffer.alloc(0))).length, 4);
    // A scrape asks the thread for its counters as of now: exact, with no wait.
    const text = await scrape(metricsPort);
    assert.equal(
      sampleValue(text, "timeserver_requests_total", {
        protocol: "ntp",
        transport: "udp",
        result: "ok",
      }),
      3,
    );
    assert.equal(
      sampleValue(text, "timeserver_requests_total", {
        protocol: "rfc868",
        transport: "udp",
        result: "ok",
      }),
      1,
    );
    assert.deepEqual(await server.stop("SIGTERM"), { code: 0, signal: null });
  });

  it("--udp-thread with a taken UDP port: one line on stderr, a non-zero exit", async (t) => {
    const [ntpPort] = (await pickDualPorts(1)) as [number];
    const holder = await startServerFor(t, ["--ntp-port", String(ntpPort)]);
    await holder.waitForLine(/\(ntp, UDP, \w+\)/);
    const result = await runProgram(
      SERVER_BIN,
      ["--host", "127.0.0.1", "--port", "0", "--udp-thread", "--ntp-port", String(ntpPort)],
      { signal: t.signal },
    );
    assert.notEqual(result.code, 0);
    assert.match(
      result.stderr,
      /^timeserver: cannot listen on 127\.0\.0\.1:\d+ \(UDP\): .*in use\n$/,
    );
  });
});
