/**
 * The listening socket outlives the workers: with every worker of a
 * `--workers 2` cluster killed at once, the line protocol's socket stays
 * the same socket (same inode, held by the primary's share and the keeper's)
 * in LISTEN, a client that connects while no worker is up is queued rather
 * than refused, a datagram sent meanwhile waits in the kept UDP socket, and
 * the restarted workers serve both.
 */

import assert from "node:assert/strict";
import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import net from "node:net";
import { describe, it } from "node:test";
import { pickDualPorts } from "../helpers/dual-port.js";
import { udpClientFor } from "../helpers/udp-client.js";
import { TIME_REPLY } from "../helpers/wire-client.js";
import { datagram } from "../protocols/sntp-datagrams.js";
import { startClusterFor, workerPids } from "./cluster-process.js";

/** The inode of the listening TCP socket on `port` that process `pid` holds, if any. */
function listeningInode(pid: number, port: number): string | undefined {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const inode = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`))?.[1];
      if (inode !== undefined) inodes.add(inode);
    } catch {}
  }
  for (const row of readFileSync(`/proc/${pid}/net/tcp`, "utf8").split("\n").slice(1)) {
    const columns = row.trim().split(/\s+/);
    const local = columns[1] ?? "";
    const localPort = Number.parseInt(local.slice(local.lastIndexOf(":") + 1), 16);
    if (columns[3] === "0A" && localPort === port && inodes.has(columns[9] ?? ""))
      return columns[9];
  }
  return undefined;
}

describe("the listening socket across worker restarts", () => {
  it("every worker killed at once: the same socket stays in LISTEN, and a client that connects meanwhile is served", async (t) => {
    const [ntpPort] = (await pickDualPorts(1)) as [number];
    // On dgram the workers' UDP sockets are shares of the primary's, which the
    // keeper holds too (a native worker's socket is its own: see socket-keeper.ts).
    const server = await startClusterFor(t, 2, [
      "--ntp-port",
      String(ntpPort),
      "--udp-backend",
      "dgram",
    ]);
    const udp = await udpClientFor(t);
    const primary = server.child.pid as number;
    const before = listeningInode(primary, server.port);
    assert.ok(before !== undefined, "the primary holds no listening socket on the port");

    const from = server.lines.length;
    for (const pid of workerPids(server.lines).values()) process.kill(pid, "SIGKILL");
    await server.waitForLines(/Worker \d \(pid \d+\) died \(signal SIGKILL\)/, 2, from);
    // Every worker is gone and node:cluster has let go of their shares.
    // A datagram now waits in the kept UDP socket for the next worker.
    await udp.send(ntpPort, datagram());
    const client = net.connect(server.port, "127.0.0.1");
    let text = "";
    client.setEncoding("latin1");
    client.on("data", (chunk: string) => {
      text += chunk;
    });
    const closed = new Promise<Error | undefined>((resolve) => {
      client.on("error", (error) => resolve(error));
      client.on("close", () => resolve(undefined));
    });
    t.after(() => client.destroy());
    client.write("TIME\r\nQUIT\r\n");
    const error = await closed;
    assert.equal(error, undefined, `the client was refused or reset: ${error?.message}`);
    assert.match(text, TIME_REPLY);
    assert.equal((await udp.waitFor(() => true)).data.length, 48);
    assert.equal(listeningInode(primary, server.port), before, "the listening socket was replaced");
  });
});
