/**
 * The real `timeserver` as the deploy/systemd units run it: sockets from
 * systemd-socket-activate, states to a notify socket (Type=notify). With
 * --workers every worker serves the inherited sockets themselves (the same
 * socket inodes, checked in /proc), the primary keeps the metrics one, and
 * READY=1 comes once all of them listen; SIGHUP is RELOADING=1 then READY=1,
 * SIGTERM is STOPPING=1; WATCHDOG_USEC brings WATCHDOG=1 pings.
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { CLUSTER_LISTENING, workerPids } from "../cluster/cluster-process.js";
import { httpRequest, sampleValue } from "../helpers/metrics-scrape.js";
import { fakeNotifySocket, noNotifySocket } from "../helpers/notify-socket.js";
import {
  haveSocketActivate,
  LISTEN_FDS_FIRST,
  listeningSocketsOf,
  socketActivate,
  socketInodeOf,
} from "../helpers/socket-activate.js";
import { udpClientFor } from "../helpers/udp-client.js";
import { connectFor, TIME_REPLY } from "../helpers/wire-client.js";
import { datagram } from "../protocols/sntp-datagrams.js";

const skip = !haveSocketActivate
  ? "systemd-socket-activate is not installed (Debian package: systemd)"
  : noNotifySocket;

async function timeOverLine(t: { after(fn: () => unknown): void }, port: number): Promise<void> {
  const client = await connectFor(t, port);
  const reply = await client.request("TIME\r\n", 14);
  assert.match(reply.toString("latin1"), TIME_REPLY);
  client.destroy();
}

describe("timeserver under systemd-socket-activate with a notify socket", { skip }, () => {
  it("serves the inherited sockets from every worker and says READY=1 once all listen", async (t) => {
    const notify = await fakeNotifySocket(t);
    const { server, ports } = await socketActivate(
      t,
      [
        { kind: "stream", name: "line" },
        { kind: "stream", name: "metrics" },
        { kind: "datagram", name: "ntp" },
      ],
      ["--workers", "2"],
      [`NOTIFY_SOCKET=${notify.path}`],
    );
    const [linePort, metricsPort, ntpPort] = ports as [number, number, number];
    await timeOverLine(t, linePort); // the first connection starts the server
    await server.waitForLine(CLUSTER_LISTENING);
    assert.equal(await notify.waitFor(/^READY=1$/), "READY=1\nSTATUS=Serving with 2 workers");

    const primary = server.child.pid as number;
    const inode = (fd: number) => socketInodeOf(primary, fd) as string;
    const [line, metrics, ntp] = [0, 1, 2].map((index) => inode(LISTEN_FDS_FIRST + index));
    const workers = [...workerPids(server.lines).values()];
    assert.equal(workers.length, 2);
    for (const pid of workers) {
      const held = new Set(listeningSocketsOf(pid).map((socket) => socket.inode));
      assert.ok(held.has(line as string), `worker ${pid} serves the inherited line socket`);
      assert.ok(held.has(ntp as string), `worker ${pid} serves the inherited ntp socket`);
      assert.ok(!held.has(metrics as string), `worker ${pid} leaves metrics to the primary`);
    }
    for (let i = 0; i < 4; i++) await timeOverLine(t, linePort);
    const udp = await udpClientFor(t);
    assert.equal((await udp.request(ntpPort, datagram())).length, 48);
    const scrape = (await httpRequest(metricsPort, "/metrics")).body;
    assert.ok(
      sampleValue(scrape, "timeserver_connections_accepted_total", { protocol: "line" }) >= 5,
    );

    const reloaded = notify.messages.length;
    server.child.kill("SIGHUP");
    const reloading = await notify.waitFor(/^RELOADING=1$/, reloaded);
    assert.match(reloading, /^RELOADING=1\nMONOTONIC_USEC=[1-9][0-9]*$/);
    await notify.waitFor(/^READY=1$/, notify.messages.indexOf(reloading) + 1);

    const stopped = server.stop("SIGTERM");
    await notify.waitFor(/^STOPPING=1$/);
    assert.deepEqual(await stopped, { code: 0, signal: null });
  });

  it("pings WATCHDOG=1 after READY=1 when systemd runs a watchdog", async (t) => {
    const notify = await fakeNotifySocket(t);
    const { server, ports } = await socketActivate(
      t,
      [{ kind: "stream", name: "line" }],
      [],
      [`NOTIFY_SOCKET=${notify.path}`, "WATCHDOG_USEC=200000"],
    );
    await timeOverLine(t, ports[0] as number);
    await notify.waitFor(/^READY=1$/);
    await notify.waitFor(/^WATCHDOG=1$/, notify.messages.indexOf("READY=1") + 1);
    const stopped = server.stop("SIGTERM");
    await notify.waitFor(/^STOPPING=1$/);
    assert.deepEqual(await stopped, { code: 0, signal: null });
  });
});
