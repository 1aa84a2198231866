/**
 * --allow / --deny over real sockets, from distinct loopback sources: a
 * denied address gets no byte on any TCP listener (on the TLS port not even a
 * ServerHello) and no reply to any datagram, and is logged; its neighbours
 * are served. Allow-list semantics, IPv4 clients on a dual-stack socket, and
 * a bad CIDR at start-up.
 */

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Cleanups, type ListenerPorts, portOf, startListeners } from "../helpers/listener-ports.js";
import { runProgram, SERVER_BIN, type ServerProcess } from "../helpers/server-process.js";
import {
  bytesBeforeClose,
  connectFrom,
  udpClientFrom,
  udpPortOf,
} from "../helpers/source-clients.js";
import {
  captureClientHello,
  haveOpenssl,
  makeCertificate,
  scratchDir,
  tlsConnectFrom,
  tlsRequest,
} from "../helpers/tls-files.js";
import { TIME_REPLY } from "../helpers/wire-client.js";

const DENIED = "127.0.0.9";
const ALLOWED = "127.0.0.10";

/** A 48-byte SNTPv4 client request (LI 0, VN 4, mode 3) with `tag` in its transmit timestamp. */
function sntpRequest(tag: number): Buffer {
  const request = Buffer.alloc(48);
  request[0] = 0x23;
  request.writeUInt32BE(0xe98a3b40, 40);
  request.writeUInt32BE(tag, 44);
  return request;
}

function escaped(text: string): string {
  return text.replace(/[.[\]]/g, "\\$&");
}

describe("--deny 127.0.0.9 on every listener", { skip: haveOpenssl ? false : "no openssl" }, () => {
  const cleanups = new Cleanups();
  let server: ServerProcess;
  let ports: ListenerPorts;
  let ca: string;
  after(() => cleanups.run());
  before(async () => {
    const cert = makeCertificate(scratchDir(cleanups, "timeserver-acl-"), "acl");
    ca = cert.pem;
    ({ server, ports } = await startListeners(cleanups, [
      "--deny",
      DENIED,
      "--daytime-port",
      "0",
      "--ntp-port",
      "0",
      "--tls-port",
      "0",
      "--tls-cert",
      cert.certFile,
      "--tls-key",
      cert.keyFile,
    ]));
  });

  it("line protocol: closes the denied client with no byte sent and logs it; a neighbour gets JAM", async (t) => {
    const denied = await connectFrom(t, portOf(ports, "line"), DENIED);
    const port = denied.socket.localPort;
    denied.send("TIME\r\n");
    assert.equal(await bytesBeforeClose(denied), 0);
    await server.waitForLine(new RegExp(`Access denied: refused ${escaped(DENIED)}:${port}$`));

    const allowed = await connectFrom(t, portOf(ports, "line"), ALLOWED);
    assert.match((await allowed.request("TIME\r\n", 14)).toString("latin1"), TIME_REPLY);
  });

  it("daytime over TCP: no byte for the denied client, the daytime line for a neighbour", async (t) => {
    const denied = await connectFrom(t, portOf(ports, "daytime"), DENIED);
    const port = denied.socket.localPort;
    assert.equal(await bytesBeforeClose(denied), 0);
    await server.waitForLine(
      new RegExp(`Access denied: refused ${escaped(DENIED)}:${port} \\(daytime\\)$`),
    );

    const allowed = await connectFrom(t, portOf(ports, "daytime"), ALLOWED);
    const reply = (await allowed.waitForClose()).toString("latin1");
    assert.match(reply, /\d{4}.*\r\n$/);
  });

  it("daytime over UDP: no reply to the denied address (logged as acl), a reply to a neighbour", async (t) => {
    const denied = await udpClientFrom(t, DENIED);
    const allowed = await udpClientFrom(t, ALLOWED);
    const port = portOf(ports, "daytimeUdp");
    await denied.send(port, Buffer.from("x"));
    await server.waitForLine(
      new RegExp(
        `No reply to a daytime datagram from ${escaped(DENIED)}:${udpPortOf(denied)}: acl`,
      ),
    );
    // The neighbour's reply comes after the denied datagram was handled (one socket, in order).
    const reply = await allowed.request(port, Buffer.from("x"));
    assert.match(reply.toString("latin1"), /\d{4}.*\r\n$/);
    assert.equal(denied.replies.length, 0);
  });

  it("SNTP: no reply to the denied address (logged as acl), a 48-byte reply to a neighbour", async (t) => {
    const denied = await udpClientFrom(t, DENIED);
    const allowed = await udpClientFrom(t, ALLOWED);
    const port = portOf(ports, "ntp");
    await denied.send(port, sntpRequest(1));
    await server.waitForLine(
      new RegExp(`No reply to a ntp datagram from ${escaped(DENIED)}:${udpPortOf(denied)}: acl`),
    );
    const reply = await allowed.request(port, sntpRequest(2));
    assert.equal(reply.length, 48);
    assert.equal(reply[0]! & 0x07, 4, "server mode");
    assert.equal(denied.replies.length, 0);
  });

  it("TLS: a denied client's ClientHello gets zero bytes (no ServerHello); the same hello from a neighbour does", async (t) => {
    const hello = await captureClientHello();
    const port = portOf(ports, "tls");

    const denied = await connectFrom(t, port, DENIED);
    const deniedPort = denied.socket.localPort;
    denied.send(hello);
    assert.equal(await bytesBeforeClose(denied), 0);
    await server.waitForLine(
      new RegExp(`Access denied: refused ${escaped(DENIED)}:${deniedPort} \\(tls\\)$`),
    );

    const allowed = await connectFrom(t, port, ALLOWED);
    allowed.send(hello);
    const answer = await allowed.waitForBytes(5);
    assert.equal(answer[0], 0x16, "a TLS handshake record (ServerHello) comes back");

    // And a whole TLS conversation from the neighbour works.
    const socket = await tlsConnectFrom(t, port, ca, ALLOWED);
    assert.match(await tlsRequest(socket, "TIME\r\n", 1), TIME_REPLY);
  });
});

describe("--allow: with an allow rule, everything else is refused", () => {
  it("serves the allowed network, refuses a more specific deny inside it and every address outside", async (t) => {
    const { server } = await startListeners(t, [
      "--allow",
      "127.0.0.0/24",
      "--deny",
      "127.0.0.64/26",
      "--allow",
      "127.0.0.70",
    ]);
    const cases: [string, boolean][] = [
      ["127.0.0.10", true],
      ["127.0.0.65", false], // inside the /26 deny
      ["127.0.0.70", true], // a /32 allow beats the /26 deny
      ["127.0.1.1", false], // no rule matches; an allow rule exists, so refused
    ];
    for (const [address, served] of cases) {
      const client = await connectFrom(t, server.port, address);
      if (served) {
        const reply = await client.request("TIME\r\n", 14);
        assert.match(reply.toString("latin1"), TIME_REPLY, `${address} is served`);
      } else {
        client.send("TIME\r\n");
        assert.equal(await bytesBeforeClose(client), 0, `${address} is refused`);
      }
    }
  });

  it("denies on a tie: the same network allowed and denied is refused", async (t) => {
    const { server } = await startListeners(t, ["--allow", "127.0.0.0/8", "--deny", "127.0.0.0/8"]);
    const client = await connectFrom(t, server.port, "127.0.0.10");
    assert.equal(await bytesBeforeClose(client), 0);
  });

  it("reads TIMESERVER_ALLOW and TIMESERVER_DENY, comma-separated", async (t) => {
    const { server } = await startListeners(t, [], {
      TIMESERVER_ALLOW: "127.0.0.10,127.0.0.11",
      TIMESERVER_DENY: "127.0.0.11",
    });
    const allowed = await connectFrom(t, server.port, "127.0.0.10");
    assert.match((await allowed.request("TIME\r\n", 14)).toString("latin1"), TIME_REPLY);
    for (const address of ["127.0.0.11", "127.0.0.12"]) {
      const refused = await connectFrom(t, server.port, address);
      assert.equal(await bytesBeforeClose(refused), 0, address);
    }
  });
});

describe("an IPv4 client on a dual-stack (IPv6) socket", () => {
  // `--host ::ffff:127.0.0.1` gives an IPv6 socket, as `--host ::` would, that
  // sees IPv4 clients as ::ffff:a.b.c.d, while binding loopback only (`::`
  // would bind every interface of the machine running the tests). The server
  // names such a client by its IPv4 address.
  it("is matched against IPv4 rules: --deny 127.0.0.9 refuses ::ffff:127.0.0.9, logged as 127.0.0.9", async (t) => {
    const { server } = await startListeners(t, ["--host", "::ffff:127.0.0.1", "--deny", DENIED]);
    const denied = await connectFrom(t, server.port, DENIED);
    const port = denied.socket.localPort;
    assert.equal(await bytesBeforeClose(denied), 0);
    await server.waitForLine(new RegExp(`Access denied: refused 127\\.0\\.0\\.9:${port}`));

    const allowed = await connectFrom(t, server.port, ALLOWED);
    assert.match((await allowed.request("TIME\r\n", 14)).toString("latin1"), TIME_REPLY);
    await server.waitForLine(/Connection from 127\.0\.0\.10:\d+/);
  });

  it("is matched by a ::ffff:127.0.0.0/104-style rule as by its IPv4 form", async (t) => {
    const { server } = await startListeners(t, [
      "--host",
      "::ffff:127.0.0.1",
      "--deny",
      "::ffff:127.0.0.9/128",
    ]);
    const denied = await connectFrom(t, server.port, DENIED);
    assert.equal(await bytesBeforeClose(denied), 0);
    const allowed = await connectFrom(t, server.port, ALLOWED);
    assert.match((await allowed.request("TIME\r\n", 14)).toString("latin1"), TIME_REPLY);
  });
});

describe("a bad CIDR at start-up", () => {
  for (const [args, named] of [
    [["--allow", "10.0.0.0/8,10.0.0.0/33"], '--allow "10.0.0.0/33"'],
    [["--deny", "127.0.0.300"], '--deny "127.0.0.300"'],
    [["--trusted-proxies", "not-an-address"], '--trusted-proxies "not-an-address"'],
  ] as const) {
    it(`exits 2 with one line naming it: ${args.join(" ")}`, async () => {
      const result = await runProgram(SERVER_BIN, ["--port", "0", ...args]);
      assert.equal(result.code, 2);
      assert.equal(result.stdout, "");
      const lines = result.stderr.split("\n").filter((line) => line !== "");
      assert.equal(lines.length, 1, result.stderr);
      assert.ok(lines[0]!.startsWith("timeserver: invalid "), lines[0]);
      assert.ok(lines[0]!.includes(named), `${lines[0]} names ${named}`);
    });
  }

  it("exits 2 for a bad TIMESERVER_DENY, naming the variable", async () => {
    const result = await runProgram(SERVER_BIN, ["--port", "0"], {
      env: { TIMESERVER_DENY: "127.0.0.1,fe80::1%eth0" },
    });
    assert.equal(result.code, 2);
    const lines = result.stderr.split("\n").filter((line) => line !== "");
    assert.equal(lines.length, 1, result.stderr);
    assert.match(lines[0]!, /^timeserver: invalid TIMESERVER_DENY "fe80::1%eth0": /);
  });
});
