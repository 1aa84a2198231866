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
});
