/**
 * --proxy-protocol over real sockets. Through a real HAProxy (send-proxy and
 * send-proxy-v2) the client's own address is the one the server logs,
 * serves and applies its access list to. Directly: a source outside
 * --trusted-proxies, a malformed header, no header, or a header that never
 * completes within 3 s is closed with no byte; a v2 LOCAL header (a proxy's
 * health check) is served as the proxy itself.
 */

import assert from "node:assert/strict";
import { performance } from "node:perf_hooks";
import { describe, it } from "node:test";
import { PROXY_V2_SIGNATURE } from "../../src/protocols/proxy-header.js";
import { haveHaproxy, startHaproxy } from "../helpers/haproxy-process.js";
import { startListeners } from "../helpers/listener-ports.js";
import { bytesBeforeClose, connectFrom } from "../helpers/source-clients.js";
import { TIME_REPLY } from "../helpers/wire-client.js";

const CLIENT = "127.0.0.9";
const REPLY_BYTES = "JAM hh:mm:ss\r\n".length;

function escaped(text: string): string {
  return text.replace(/[.[\]]/g, "\\$&");
}

/** A v2 header: LOCAL (no addresses), or PROXY TCP over IPv4 from `source`. */
function v2Header(source?: { address: string; port: number }): Buffer {
  if (source === undefined)
    return Buffer.concat([PROXY_V2_SIGNATURE, Buffer.from([0x20, 0, 0, 0])]);
  const body = Buffer.alloc(12);
  source.address.split(".").forEach((octet, i) => {
    body[i] = Number(octet);
  });
  body.set([127, 0, 0, 1], 4);
  body.writeUInt16BE(source.port, 8);
  body.writeUInt16BE(45000, 10);
  return Buffer.concat([PROXY_V2_SIGNATURE, Buffer.from([0x21, 0x11, 0, 12]), body]);
}

const skipHaproxy = haveHaproxy ? false : "haproxy is not installed (Debian package: haproxy)";

describe("--proxy-protocol behind a real HAProxy", { skip: skipHaproxy }, () => {
  for (const version of ["v1", "v2"] as const) {
    it(`send-proxy${version === "v2" ? "-v2" : ""}: the server logs and serves the client's own address`, async (t) => {
      const { server } = await startListeners(t, ["--proxy-protocol"]);
      const haproxy = await startHaproxy(t, server.port);
      const port = version === "v1" ? haproxy.v1Port : haproxy.v2Port;

      const client = await connectFrom(t, port, CLIENT);
      const clientPort = client.socket.localPort;
      const reply = await client.request("TIME\r\n", REPLY_BYTES);
      assert.match(reply.toString("latin1"), TIME_REPLY);
      await server.waitForLine(new RegExp(`Connection from ${escaped(CLIENT)}:${clientPort}$`));
      await server.waitForLine(new RegExp(`Received: TIME from ${escaped(CLIENT)}$`));
      client.send("QUIT\r\n");
      assert.equal((await client.waitForClose()).length, REPLY_BYTES);
    });
  }

  it("--deny applies to the client behind the proxy: its connection is closed with no reply, a neighbour's is served", async (t) => {
    const { server } = await startListeners(t, ["--proxy-protocol", "--deny", CLIENT]);
    const haproxy = await startHaproxy(t, server.port);
    for (const port of [haproxy.v1Port, haproxy.v2Port]) {
      const denied = await connectFrom(t, port, CLIENT);
      const deniedPort = denied.socket.localPort;
      denied.send("TIME\r\n");
      assert.equal(await bytesBeforeClose(denied), 0, `port ${port}`);
      if (port === haproxy.v1Port) {
        await server.waitForLine(
          new RegExp(`Access denied: refused ${escaped(CLIENT)}:${deniedPort}$`),
        );
      }

      const allowed = await connectFrom(t, port, "127.0.0.10");
      const reply = await allowed.request("TIME\r\n", REPLY_BYTES);
      assert.match(reply.toString("latin1"), TIME_REPLY);
    }
  });
});

describe("--proxy-protocol, spoken directly", () => {
  it("serves a v1 header's source: logs it, answers the TIME sent in the same packet", async (t) => {
    const { server } = await startListeners(t, ["--proxy-protocol"]);
    const proxy = await connectFrom(t, server.port, "127.0.0.30");
    proxy.send("PROXY TCP4 192.0.2.7 127.0.0.1 5555 45000\r\nTIME\r\n");
    assert.match((await proxy.waitForBytes(REPLY_BYTES)).toString("latin1"), TIME_REPLY);
    await server.waitForLine(/Connection from 192\.0\.2\.7:5555$/);
  });

  it("serves a v2 PROXY header's source the same way", async (t) => {
    const { server } = await startListeners(t, ["--proxy-protocol"]);
    const proxy = await connectFrom(t, server.port, "127.0.0.30");
    proxy.send(
      Buffer.concat([v2Header({ address: "198.51.100.4", port: 6000 }), Buffer.from("TIME\r\n")]),
    );
    assert.match((await proxy.waitForBytes(REPLY_BYTES)).toString("latin1"), TIME_REPLY);
    await server.waitForLine(/Connection from 198\.51\.100\.4:6000$/);
  });

  it("serves a v2 LOCAL header (a health check) as the proxy itself, and logs it at debug", async (t) => {
    const { server } = await startListeners(t, ["--proxy-protocol", "--log-level", "debug"]);
    const proxy = await connectFrom(t, server.port, "127.0.0.31");
    const proxyPort = proxy.socket.localPort;
    proxy.send(Buffer.concat([v2Header(), Buffer.from("TIME\r\nQUIT\r\n")]));
    const all = (await proxy.waitForClose()).toString("latin1");
    assert.match(all, TIME_REPLY);
    const from = `127\\.0\\.0\\.31:${proxyPort}$`;
    await server.waitForLine(new RegExp(`\\[DEBUG\\] Connection from ${from}`));
    await server.waitForLine(new RegExp(`\\[DEBUG\\] Connection closed from ${from}`));
    const checkLines = server.lines.filter((line) => line.includes("127.0.0.31"));
    assert.deepEqual(
      checkLines.filter((line) => !line.includes("[DEBUG]")),
      [],
      "a health check's lines are all at debug",
    );
    // Connection, TIME received, reply sent, QUIT, closed: five, as a client's would be at info.
    assert.equal(checkLines.length, 5, checkLines.join("\n"));
    // A client through the same proxy is still logged at info.
    const client = await connectFrom(t, server.port, "127.0.0.31");
    client.send(
      Buffer.concat([v2Header({ address: "192.0.2.9", port: 7001 }), Buffer.from("QUIT\r\n")]),
    );
    await client.waitForClose();
    await server.waitForLine(/\[INFO\] Connection from 192\.0\.2\.9:7001$/);
  });

  it("checks a v2 LOCAL connection against --allow as the proxy's own address", async (t) => {
    const { server } = await startListeners(t, ["--proxy-protocol", "--allow", "10.0.0.0/8"]);
    const check = await connectFrom(t, server.port, "127.0.0.31");
    check.send(Buffer.concat([v2Header(), Buffer.from("TIME\r\n")]));
    assert.equal(await bytesBeforeClose(check), 0);
    // A client the header names inside 10.0.0.0/8 is served through the same proxy.
    const proxied = await connectFrom(t, server.port, "127.0.0.31");
    proxied.send(
      Buffer.concat([v2Header({ address: "10.1.2.3", port: 7000 }), Buffer.from("TIME\r\n")]),
    );
    assert.match((await proxied.waitForBytes(REPLY_BYTES)).toString("latin1"), TIME_REPLY);
  });

  it("closes a source outside --trusted-proxies with no byte, even with a valid header", async (t) => {
    const { server } = await startListeners(t, [
      "--proxy-protocol",
      "--trusted-proxies",
      "10.0.0.0/8",
    ]);
    const untrusted = await connectFrom(t, server.port, "127.0.0.32");
    const port = untrusted.socket.localPort;
    untrusted.send("PROXY TCP4 192.0.2.7 127.0.0.1 5555 45000\r\nTIME\r\n");
    assert.equal(await bytesBeforeClose(untrusted), 0);
    await server.waitForLine(
      new RegExp(
        `Bad or missing PROXY protocol header: refused 127\\.0\\.0\\.32:${port} \\(not a trusted proxy\\)$`,
      ),
    );
  });

  it("closes a malformed header, and a connection with no header, with no byte", async (t) => {
    const { server } = await startListeners(t, ["--proxy-protocol"]);
    for (const first of [
      "PROXY TCP4 192.0.2.300 127.0.0.1 5555 45000\r\nTIME\r\n",
      "PROXY TCP4 192.0.2.7 127.0.0.1 05555 45000\r\nTIME\r\n",
      "TIME\r\n",
    ]) {
      const client = await connectFrom(t, server.port, "127.0.0.33");
      client.send(first);
      assert.equal(await bytesBeforeClose(client), 0, JSON.stringify(first));
    }
    await server.waitForLine(/Bad or missing PROXY protocol header: refused 127\.0\.0\.33:\d+ \(/);
  });

  it("closes a header that stops half-way, with no byte, once 3 s have passed", async (t) => {
    const { server } = await startListeners(t, ["--proxy-protocol"]);
    // Started before connecting, so the server's accept is later: a lower bound that holds under any load.
    const started = performance.now();
    const client = await connectFrom(t, server.port, "127.0.0.34");
    client.send("PROXY TCP4 192.0.2.7 ");
    assert.equal(await bytesBeforeClose(client), 0);
    const elapsed = performance.now() - started;
    assert.ok(elapsed >= 2990, `closed after ${Math.round(elapsed)} ms, not before 3 s`);
    await server.waitForLine(/no complete PROXY header within 3 s/);
  });
});
