/**
 * More workers than cores is allowed (one configuration may run on machines
 * of many sizes) but not in silence. The server is pinned to one core with
 * util-linux's taskset, so "more than the cores" means the same everywhere.
 */

import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { describe, it } from "node:test";
import { SERVER_BIN, ServerProcess } from "../helpers/server-process.js";

describe("--workers above the core count", () => {
  it("starts, with a warning that names the workers and the cores", {
    timeout: 30_000,
  }, async (t) => {
    if (spawnSync("taskset", ["-c", "0", "true"]).status !== 0) {
      t.skip("util-linux taskset cannot pin to core 0 here");
      return;
    }
    const child = spawn(
      "taskset",
      [
        "-c",
        "0",
        process.execPath,
        SERVER_BIN,
        "--host",
        "127.0.0.1",
        "--port",
        "0",
        "--workers",
        "2",
      ],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    const server = new ServerProcess(child);
    t.after(() => server.kill());
    await server.waitForLine(/Listening on .* with 2 workers$/);
    const warnings = server.lines.filter((line) => line.includes("[WARN]"));
    assert.deepEqual(
      warnings.map((line) => line.replace(/^\S+ /, "")),
      [
        "[WARN] Running 2 workers on 1 available CPU core: workers beyond one per core add memory and context switches, not throughput (--workers auto starts 1)",
      ],
    );
    assert.deepEqual(await server.stop("SIGTERM"), { code: 0, signal: null }, server.stderr);
  });
});
