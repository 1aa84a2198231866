/**
 * Socket activation end to end: systemd-socket-activate binds the sockets and
 * execs the real `timeserver`, which answers on them (line, daytime and RFC
 * 868 over TCP and UDP, SNTP, metrics) and opens no listening socket of its
 * own: every listening TCP socket and every UDP socket the process holds is
 * one of the fds it inherited, checked in /proc (socket inodes), and nothing
 * of it listens on 45000, the line protocol's default port.
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { httpRequest, sampleValue } from "../helpers/metrics-scrape.js";
import type { ServerProcess } from "../helpers/server-process.js";
import {
  type ActivatedSocket,
  haveSocketActivate,
  LISTEN_FDS_FIRST,
  listeningSocketsOf,
  socketActivate,
  socketInodeOf,
} from "../helpers/socket-activate.js";
import { udpClientFor } from "../helpers/udp-client.js";
import { connectFor, TIME_REPLY } from "../helpers/wire-client.js";
import { datagram } from "../protocols/sntp-datagrams.js";

const skip = haveSocketActivate
  ? false
  : "systemd-socket-activate is not installed (Debian package: systemd)";

const DAYTIME_REPLY = /^\w+day, \w+ \d{1,2}, \d{4} \d\d:\d\d:\d\d-\w+\r\n$/;

/** Wait until the server has a "Listening on"/"Metrics on" line for each of its `count` sockets. */
async function serving(server: ServerProcess, count: number): Promise<void> {
  await server.waitForLines(/(?:Listening|Metrics) on /, count);
}

/**
 * The process holds exactly the `count` sockets it inherited (fds 3..), as
 * its listening TCP and its UDP sockets, and none on port 45000.
 */
function assertOnlyInherited(server: ServerProcess, count: number): void {
  const pid = server.child.pid as number;
  const inherited = Array.from({ length: count }, (_, index) =>
    socketInodeOf(pid, LISTEN_FDS_FIRST + index),
  );
  assert.ok(
    inherited.every((inode) => inode !== undefined),
    "every inherited fd is a socket",
  );
  const held = listeningSocketsOf(pid);
  assert.deepEqual(
    [...new Set(held.map((socket) => socket.inode))].sort(),
    [...new Set(inherited)].sort(),
    `listening sockets held: ${JSON.stringify(held)}`,
  );
  assert.ok(
    held.every((socket) => socket.port !== 45000),
    "the process listens on 45000 of its own accord",
  );
}

async function timeOverLine(t: { after(fn: () => unknown): void }, port: number): Promise<void> {
  const client = await connectFor(t, port);
  const reply = await client.request("TIME\r\n", 14);
  assert.match(reply.toString("latin1"), TIME_REPLY);
  client.destroy();
}

describe("timeserver under systemd-socket-activate", { skip }, () => {
  for (const named of [false, true]) {
    it(`serves the line protocol on an inherited stream socket ${named ? "named line" : "with no name"}`, async (t) => {
      const sockets: ActivatedSocket[] = [{ kind: "stream", name: named ? "line" : undefined }];
      const { server, ports } = await socketActivate(t, sockets);
      await timeOverLine(t, ports[0] as number); // the first connection starts the server
      await serving(server, 1);
      assert.ok(server.lines.some((line) => line.includes(`Listening on 127.0.0.1:${ports[0]}`)));
      assertOnlyInherited(server, 1);
    });
  }

  it("serves daytime on an inherited TCP and UDP pair (one port, both named daytime)", async (t) => {
    const { server, ports } = await socketActivate(t, [
      { kind: "stream", name: "daytime" },
      { kind: "datagram", name: "daytime", samePortAs: 0 },
    ]);
    const tcp = await connectFor(t, ports[0] as number);
    assert.match((await tcp.waitForClose()).toString("latin1"), DAYTIME_REPLY);
    await serving(server, 2);
    const udp = await udpClientFor(t);
    assert.match(
      (await udp.request(ports[1] as number, Buffer.from("?"))).toString("latin1"),
      DAYTIME_REPLY,
    );
    assertOnlyInherited(server, 2);
  });

  it("serves RFC 868 on an inherited TCP and UDP pair", async (t) => {
    const { server, ports } = await socketActivate(t, [
      { kind: "stream", name: "rfc868" },
      { kind: "datagram", name: "rfc868", samePortAs: 0 },
    ]);
    const tcp = await connectFor(t, ports[0] as number);
    assert.equal((await tcp.waitForClose()).length, 4);
    await serving(server, 2);
    const udp = await udpClientFor(t);
    assert.equal((await udp.request(ports[1] as number, Buffer.alloc(0))).length, 4);
    assertOnlyInherited(server, 2);
  });

  it("serves SNTP on an inherited datagram socket", async (t) => {
    const { server, ports } = await socketActivate(t, [{ kind: "datagram", name: "ntp" }]);
    const udp = await udpClientFor(t);
    // The datagram that wakes systemd-socket-activate waits in the socket for the server.
    const reply = await udp.request(ports[0] as number, datagram());
    assert.equal(reply.length, 48);
    assert.equal(reply[0]! & 0x07, 4, "mode 4 (server)");
    await serving(server, 1);
    assertOnlyInherited(server, 1);
  });

  it("serves /metrics, /healthz and /readyz on an inherited stream socket named metrics", async (t) => {
    const { server, ports } = await socketActivate(t, [{ kind: "stream", name: "metrics" }]);
    const port = ports[0] as number;
    const healthz = await httpRequest(port, "/healthz");
    assert.equal(healthz.status, 200);
    await serving(server, 1);
    assert.equal((await httpRequest(port, "/readyz")).status, 200);
    const text = (await httpRequest(port, "/metrics")).body;
    assert.equal(sampleValue(text, "timeserver_log_lines_dropped_total"), 0);
    assertOnlyInherited(server, 1);
  });

  it("serves all of them at once, as the deploy/systemd units hand them over", async (t) => {
    const { server, ports } = await socketActivate(t, [
      { kind: "stream", name: "line" },
      { kind: "stream", name: "daytime" },
      { kind: "stream", name: "rfc868" },
      { kind: "stream", name: "metrics" },
      { kind: "datagram", name: "daytime", samePortAs: 1 },
      { kind: "datagram", name: "rfc868", samePortAs: 2 },
      { kind: "datagram", name: "ntp" },
    ]);
    const [line, daytime, rfc868, metrics, , , ntp] = ports as number[];
    await timeOverLine(t, line as number);
    await serving(server, 7);
    const tcp = await connectFor(t, daytime as number);
    assert.match((await tcp.waitForClose()).toString("latin1"), DAYTIME_REPLY);
    const time = await connectFor(t, rfc868 as number);
    assert.equal((await time.waitForClose()).length, 4);
    const udp = await udpClientFor(t);
    assert.match(
      (await udp.request(daytime as number, Buffer.from("?"))).toString("latin1"),
      DAYTIME_REPLY,
    );
    assert.equal((await udp.request(rfc868 as number, Buffer.alloc(0))).length, 4);
    assert.equal((await udp.request(ntp as number, datagram())).length, 48);
    const text = (await httpRequest(metrics as number, "/metrics")).body;
    const ok = (protocol: string, transport: string) =>
      sampleValue(text, "timeserver_requests_total", { protocol, transport, result: "ok" });
    assert.deepEqual(
      [
        ok("daytime", "tcp"),
        ok("daytime", "udp"),
        ok("rfc868", "tcp"),
        ok("rfc868", "udp"),
        ok("ntp", "udp"),
      ],
      [1, 1, 1, 1, 1],
    );
    assertOnlyInherited(server, 7);
  });
});
