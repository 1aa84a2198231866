/**
 * `timeserver --workers 2`, the real binary over loopback: workers share the
 * port and label their log lines, a killed worker is replaced, and SIGTERM
 * drains every worker, sums their counters and leaves no process behind.
 * Every wait is on a log line, a reply or an exit, never on a clock.
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { connectFor, REPLY_BYTES, TIME_REPLY } from "../helpers/wire-client.js";
import { isAlive, startClusterFor, workerPids } from "./cluster-process.js";

const TEST_TIMEOUT = { timeout: 60_000 };

/** Ask for the time on `count` fresh connections, one after the other, and check each reply. */
async function askOnNewConnections(
  t: Parameters<typeof connectFor>[0],
  port: number,
  count: number,
): Promise<void> {
  for (let i = 0; i < count; i++) {
    const client = await connectFor(t, port);
    assert.match(await client.askTime(), TIME_REPLY);
    client.send("QUIT\r\n");
    await client.waitForClose();
  }
}

describe("timeserver --workers 2", () => {
  it(
    "serves TIME from two worker processes whose log lines say which worker wrote them",
    TEST_TIMEOUT,
    async (t) => {
      const server = await startClusterFor(t, 2);
      await server.waitForLine(
        new RegExp(`Listening on 127\\.0\\.0\\.1:${server.port} with 2 workers$`),
      );
      const pids = workerPids(server.lines);
      assert.equal(pids.size, 2);
      assert.notEqual(pids.get(1), pids.get(2));
      assert.ok(![...pids.values()].includes(server.child.pid as number));
      for (const id of [1, 2]) {
        await server.waitForLine(
          new RegExp(`\\[INFO\\] \\[worker ${id}\\] Listening on 127\\.0\\.0\\.1:${server.port}$`),
        );
      }

      await askOnNewConnections(t, server.port, 4);
      const served = await server.waitForLines(/Received: TIME from/, 4);
      for (const line of served) assert.match(line, /\[INFO\] \[worker [12]\] Received: TIME from/);

      const exit = await server.stop("SIGTERM");
      assert.deepEqual(exit, { code: 0, signal: null });
      assert.ok(
        server.lines.some((line) =>
          /\[INFO\] Served 4 connections and 4 TIME requests across 2 workers$/.test(line),
        ),
        server.lines.join("\n"),
      );
    },
  );

  it(
    "puts the worker id in JSON lines the workers write, and none in the primary's",
    TEST_TIMEOUT,
    async (t) => {
      const server = await startClusterFor(t, 2, ["--log-format", "json"]);
      const records = server.lines.map((line) => JSON.parse(line) as Record<string, unknown>);
      const workerListening = records.filter(
        (record) => record.event === "listening" && record.worker !== undefined,
      );
      assert.deepEqual(workerListening.map((record) => record.worker).sort(), [1, 2]);
      const primary = records.find((record) => String(record.msg).endsWith("with 2 workers"));
      assert.ok(primary !== undefined);
      assert.equal(primary.worker, undefined);
      assert.equal(primary.pid, server.child.pid);
      assert.deepEqual(await server.stop("SIGTERM"), { code: 0, signal: null });
    },
  );

  it("replaces a worker killed with SIGKILL, and keeps answering", TEST_TIMEOUT, async (t) => {
    const server = await startClusterFor(t, 2);
    const before = workerPids(server.lines);
    const victim = before.get(1) as number;
    const from = server.lines.length;
    process.kill(victim, "SIGKILL");

    await server.waitForLine(
      new RegExp(
        `\\[WARN\\] Worker 1 \\(pid ${victim}\\) died \\(signal SIGKILL\\); restarting it in \\d+ ms$`,
      ),
      from,
    );
    const restarted = await server.waitForLine(/\[WARN\] Restarted worker 1 \(pid \d+\)$/, from);
    const successor = workerPids(server.lines).get(1) as number;
    assert.notEqual(successor, victim);
    assert.equal(isAlive(victim), false);
    await server.waitForLine(/\[worker 1\] Listening on /, server.lines.indexOf(restarted));

    await askOnNewConnections(t, server.port, 4);

    assert.deepEqual(await server.stop("SIGTERM"), { code: 0, signal: null });
    assert.ok(
      server.lines.some((line) => /across 2 workers \(1 restart\)$/.test(line)),
      server.lines.join("\n"),
    );
    for (const pid of [successor, before.get(2) as number]) assert.equal(isAlive(pid), false);
  });

  it(
    "on SIGTERM closes every client, exits 0 and leaves no worker behind",
    TEST_TIMEOUT,
    async (t) => {
      const server = await startClusterFor(t, 2);
      const pids = [...workerPids(server.lines).values()];
      const clients = [];
      for (let i = 0; i < 6; i++) {
        const client = await connectFor(t, server.port);
        assert.match(await client.askTime(), TIME_REPLY);
        clients.push(client);
      }

      server.child.kill("SIGTERM");
      const received = await Promise.all(clients.map((client) => client.waitForClose()));
      for (const bytes of received) assert.equal(bytes.length, REPLY_BYTES);
      const exit = await server.exited;

      assert.deepEqual(exit, { code: 0, signal: null });
      for (const pid of pids) assert.equal(isAlive(pid), false, `worker pid ${pid} is still there`);
      const tail = server.lines.join("\n");
      assert.match(tail, /\[INFO\] Received SIGTERM; shutting down 2 workers/);
      assert.match(tail, /\[worker 1\] Worker stopped/);
      assert.match(tail, /\[worker 2\] Worker stopped/);
      assert.match(
        tail,
        /Served 6 connections and 6 TIME requests across 2 workers\n.*Server stopped$/,
      );
      assert.equal(server.stderr, "");
    },
  );
});
