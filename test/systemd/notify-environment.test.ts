import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  notifyEnvironment,
  reloadingAssignments,
  watchdogIntervalMs,
} from "../../src/systemd/notify-environment.js";

describe("notifyEnvironment", () => {
  it("reads the socket and this process's watchdog, and unsets all three variables", () => {
    const env = {
      NOTIFY_SOCKET: "/run/systemd/notify",
      WATCHDOG_USEC: "30000000",
      WATCHDOG_PID: "42",
      PATH: "/bin",
    };
    assert.deepEqual(notifyEnvironment(env, 42), {
      socket: "/run/systemd/notify",
      watchdogUsec: 30_000_000,
    });
    assert.deepEqual(env, { PATH: "/bin" });
  });

  it("takes a watchdog without WATCHDOG_PID as this process's, and an abstract socket", () => {
    assert.deepEqual(notifyEnvironment({ NOTIFY_SOCKET: "@notify", WATCHDOG_USEC: "1000" }, 7), {
      socket: "@notify",
      watchdogUsec: 1000,
    });
  });

  it("leaves out a watchdog meant for another process", () => {
    const env = { NOTIFY_SOCKET: "/n", WATCHDOG_USEC: "1000", WATCHDOG_PID: "1" };
    assert.deepEqual(notifyEnvironment(env, 2), { socket: "/n" });
  });

  it("ignores a malformed watchdog timeout", () => {
    for (const usec of ["", "0", "-5", "1e6", "12abc", "99999999999999999999"]) {
      assert.deepEqual(notifyEnvironment({ NOTIFY_SOCKET: "/n", WATCHDOG_USEC: usec }, 2), {
        socket: "/n",
      });
    }
  });

  it("is undefined without a socket, or with one that is not a path or an abstract name", () => {
    for (const socket of [undefined, "", "relative/path", "@", "/"]) {
      const env: NodeJS.ProcessEnv = { NOTIFY_SOCKET: socket, WATCHDOG_USEC: "1000" };
      assert.equal(notifyEnvironment(env, 2), undefined);
      assert.equal(env.WATCHDOG_USEC, undefined);
    }
  });
});

describe("watchdogIntervalMs", () => {
  it("is half the timeout, in milliseconds, and never 0", () => {
    assert.equal(watchdogIntervalMs(30_000_000), 15_000);
    assert.equal(watchdogIntervalMs(3_001), 1);
    assert.equal(watchdogIntervalMs(1), 1);
  });
});

describe("reloadingAssignments", () => {
  it("says RELOADING=1 with CLOCK_MONOTONIC in whole microseconds", () => {
    assert.deepEqual(reloadingAssignments(123_456_789_999n), [
      "RELOADING=1",
      "MONOTONIC_USEC=123456789",
    ]);
  });
});
