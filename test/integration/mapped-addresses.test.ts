/**
 * An IPv4 client of a dual-stack socket (bound to ::) reaches Node as
 * ::ffff:127.0.0.1; the server logs it as 127.0.0.1 over TCP and UDP, and a
 * PROXY v2 header naming an IPv4-mapped source names it as IPv4 too.
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { PROXY_V2_SIGNATURE } from "../../src/protocols/proxy-header.js";
import { portOf, startListeners } from "../helpers/listener-ports.js";
import { udpClientFor } from "../helpers/udp-client.js";
import { connectFor, TIME_REPLY } from "../helpers/wire-client.js";

/** A PROXY v2 header for TCP over IPv6 from `source` (16 bytes) port 7001 to ::1 port 45000. */
function v2Tcp6Header(source: Buffer): Buffer {
  const body = Buffer.alloc(36);
  source.copy(body, 0);
  body[31] = 1; // destination ::1
  body.writeUInt16BE(7001, 32);
  body.writeUInt16BE(45000, 34);
  return Buffer.concat([PROXY_V2_SIGNATURE, Buffer.from([0x21, 0x21, 0, 36]), body]);
}

describe("IPv4-mapped client addresses", () => {
  it("are logged as IPv4 over TCP and UDP on a dual-stack socket", async (t) => {
    const { server, ports } = await startListeners(t, ["--host", "::", "--daytime-port", "0"]);
    const client = await connectFor(t, server.port, "127.0.0.1");
    const clientPort = client.socket.localPort;
    client.send("TIME\r\nQUIT\r\n");
    assert.match((await client.waitForClose()).toString("latin1"), TIME_REPLY);
    await server.waitForLine(new RegExp(`Connection closed from 127\\.0\\.0\\.1:${clientPort}$`));
    const udp = await udpClientFor(t);
    await udp.request(portOf(ports, "daytimeUdp"), Buffer.from("?"));
    await server.waitForLine(/Received: DAYTIME request from 127\.0\.0\.1$/);
    for (const pattern of [
      `Connection from 127\\.0\\.0\\.1:${clientPort}$`,
      "Received: TIME from 127\\.0\\.0\\.1$",
      "Sent: JAM \\d\\d:\\d\\d:\\d\\d to 127\\.0\\.0\\.1$",
    ]) {
      assert.ok(
        server.lines.some((line) => new RegExp(pattern).test(line)),
        `${pattern} in ${server.lines.join("\n")}`,
      );
    }
    assert.deepEqual(
      server.lines.filter((line) => line.includes("::ffff:")),
      [],
    );
  });

  it("in a PROXY v2 header are logged as IPv4", async (t) => {
    const { server } = await startListeners(t, ["--host", "::", "--proxy-protocol"]);
    const proxy = await connectFor(t, server.port, "127.0.0.1");
    const mapped = Buffer.from("00000000000000000000ffffc0000209", "hex"); // ::ffff:192.0.2.9
    proxy.send(Buffer.concat([v2Tcp6Header(mapped), Buffer.from("TIME\r\n")]));
    assert.match((await proxy.waitForBytes(14)).toString("latin1"), TIME_REPLY);
    await server.waitForLine(/Connection from 192\.0\.2\.9:7001$/);
    await server.waitForLine(/Received: TIME from 192\.0\.2\.9$/);
  });
});
