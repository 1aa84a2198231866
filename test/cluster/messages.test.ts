import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { isPrimaryMessage, isWorkerMessage } from "../../src/cluster/messages.js";
import { parseServerCommand, type ServerConfig } from "../../src/config/server-config.js";

const config = (parseServerCommand([], {}) as { config: ServerConfig }).config;

describe("cluster IPC messages", () => {
  it("accepts the primary's messages and nothing else from it", () => {
    assert.ok(isPrimaryMessage({ type: "drain" }));
    assert.ok(isPrimaryMessage({ type: "start", workerId: 1, config }));
    // What a JSON round trip delivers (undefined fields dropped) is still a start message.
    assert.ok(isPrimaryMessage(JSON.parse(JSON.stringify({ type: "start", workerId: 2, config }))));
    for (const junk of [
      null,
      "drain",
      42,
      {},
      { type: "start" },
      { type: "start", workerId: "1", config },
      { type: "start", workerId: 1, config: null },
      { type: "stats", metrics: [] },
      { cmd: "NODE_CLUSTER", act: "newconn" },
    ]) {
      assert.equal(isPrimaryMessage(junk), false, JSON.stringify(junk));
    }
  });

  it("accepts the workers' messages and nothing else from them", () => {
    for (const message of [
      { type: "hello" },
      { type: "listening", address: "127.0.0.1", port: 45000 },
      { type: "start-failed", message: "cannot listen on 0.0.0.0:45000: address already in use" },
      { type: "stats", metrics: [] },
    ]) {
      assert.ok(isWorkerMessage(message), message.type);
    }
    for (const junk of [
      undefined,
      [],
      { type: "drain" },
      { type: "listening", address: "127.0.0.1" },
      { type: "listening", address: 1, port: 45000 },
      { type: "start-failed" },
      { type: "stats" },
      { type: "stats", metrics: [{ name: "x" }] },
    ]) {
      assert.equal(isWorkerMessage(junk), false, JSON.stringify(junk));
    }
  });
});
