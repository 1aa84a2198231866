/**
 * How `timeserver --workers` starts, or refuses to: a bad count is a usage
 * error, a port that cannot be bound ends the whole cluster with the same one
 * line as the single-process server (no restart loop, no worker left), and
 * --workers 1 is the single-process server itself.
 */

import assert from "node:assert/strict";
import net from "node:net";
import { describe, it } from "node:test";
import { runProgram, SERVER_BIN, startServerFor } from "../helpers/server-process.js";
import { connectFor, TIME_REPLY } from "../helpers/wire-client.js";
import { allWorkerPids, isAlive } from "./cluster-process.js";

const TEST_TIMEOUT = { timeout: 60_000 };

describe("timeserver --workers at startup", () => {
  for (const bad of ["0", "x"]) {
    it(`rejects --workers ${bad} with one line and exit code 2`, TEST_TIMEOUT, async (t) => {
      const result = await runProgram(SERVER_BIN, ["--port", "0", "--workers", bad], {
        signal: t.signal,
      });
      assert.equal(result.code, 2);
      assert.equal(
        result.stderr,
        `timeserver: invalid --workers "${bad}": must be a whole number from 1 to 256, or auto\n`,
      );
      assert.equal(result.stdout, "");
    });
  }

  it(
    "stops every worker and exits 1 with one line when the port is taken",
    TEST_TIMEOUT,
    async (t) => {
      const holder = net.createServer();
      await new Promise<void>((resolve) => holder.listen({ host: "127.0.0.1", port: 0 }, resolve));
      t.after(() => holder.close());
      const port = (holder.address() as net.AddressInfo).port;

      const result = await runProgram(
        SERVER_BIN,
        ["--host", "127.0.0.1", "--port", String(port), "--workers", "2"],
        { signal: t.signal },
      );

      assert.equal(result.code, 1);
      assert.equal(
        result.stderr,
        `timeserver: cannot listen on 127.0.0.1:${port}: address already in use\n`,
      );
      const lines = result.stdout.split("\n");
      const pids = allWorkerPids(lines);
      assert.equal(pids.length, 2, result.stdout);
      assert.ok(!lines.some((line) => /Restarted worker/.test(line)), result.stdout);
      for (const pid of pids) assert.equal(isAlive(pid), false, `worker pid ${pid} is still there`);
    },
  );

  it("runs --workers 1 in one process, without node:cluster", TEST_TIMEOUT, async (t) => {
    const server = await startServerFor(t, ["--workers", "1"]);
    assert.match(server.lines[0] as string, /\[INFO\] Listening on 127\.0\.0\.1:\d+$/);
    // An answer means the startup code has run to its end, signal handlers included
    // (the single-process server installs them just after its "Listening on" line).
    const client = await connectFor(t, server.port);
    assert.match(await client.askTime(), TIME_REPLY);
    assert.deepEqual(await server.stop("SIGTERM"), { code: 0, signal: null });
    assert.ok(!server.lines.some((line) => /worker/i.test(line)), server.lines.join("\n"));
  });
});
