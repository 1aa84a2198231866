import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { ServerConfig } from "../../src/config/server-config.js";
import { failure, parsedConfig } from "./parse-server.js";

function udpThread(argv: string[], env: NodeJS.ProcessEnv = {}): ServerConfig["udpThread"] {
  return parsedConfig(argv, env).udpThread;
}

describe("--udp-thread auto|on|off", () => {
  it("defaults to auto", () => {
    assert.equal(udpThread([]), "auto");
  });

  it("takes a value, and alone (last, or before another flag) means on", () => {
    assert.equal(udpThread(["--udp-thread", "off"]), "off");
    assert.equal(udpThread(["--udp-thread=off"]), "off");
    assert.equal(udpThread(["--udp-thread", "AUTO"]), "auto");
    assert.equal(udpThread(["--udp-thread", "on"]), "on");
    assert.equal(udpThread(["--udp-thread"]), "on");
    assert.equal(udpThread(["--udp-thread", "--port", "0"]), "on");
    assert.equal(udpThread(["--port", "0", "--udp-thread"]), "on");
  });

  it("reads TIMESERVER_UDP_THREAD as auto, on, off or a switch's old spellings; a flag wins", () => {
    for (const [raw, want] of [
      ["auto", "auto"],
      ["on", "on"],
      ["off", "off"],
      ["1", "on"],
      ["true", "on"],
      ["yes", "on"],
      ["0", "off"],
      ["false", "off"],
      ["no", "off"],
    ] as const) {
      assert.equal(udpThread([], { TIMESERVER_UDP_THREAD: raw }), want, raw);
    }
    assert.equal(udpThread(["--udp-thread", "off"], { TIMESERVER_UDP_THREAD: "on" }), "off");
    assert.equal(udpThread(["--udp-thread"], { TIMESERVER_UDP_THREAD: "off" }), "on");
  });

  it("refuses on with --workers, in one line; auto and off are fine there", () => {
    assert.equal(
      failure(["--udp-thread", "--workers", "2"]),
      "--udp-thread on cannot be used with --workers: the workers already spread UDP over the cores (leave it at auto or off)",
    );
    assert.match(
      failure(["--workers", "2"], { TIMESERVER_UDP_THREAD: "1" }),
      /--udp-thread on cannot/,
    );
    assert.equal(udpThread(["--workers", "2"]), "auto");
    assert.equal(udpThread(["--workers", "2", "--udp-thread", "off"]), "off");
    assert.equal(udpThread(["--workers", "1", "--udp-thread", "on"]), "on");
  });

  it("names a bad value and where it came from", () => {
    assert.equal(
      failure(["--udp-thread", "maybe"]),
      'invalid --udp-thread "maybe": must be auto, on or off',
    );
    assert.equal(
      failure([], { TIMESERVER_UDP_THREAD: "2" }),
      'invalid TIMESERVER_UDP_THREAD "2": must be auto, on or off',
    );
  });
});
