/**
 * SystemdNotifier against a fake notify socket, through the real
 * systemd-notify command: the states arrive in the order they were told,
 * WATCHDOG=1 follows READY=1 and stops at STOPPING=1, and a missing
 * command is one warning, not an error per message.
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { SystemdNotifier } from "../../src/systemd/service-notifier.js";
import { fakeNotifySocket, noNotifySocket } from "../helpers/notify-socket.js";
import { type RecordingSink, recordingLogger } from "../helpers/recording-logger.js";

/** Resolves when the sink records its next line. */
function firstLine(sink: RecordingSink): Promise<void> {
  return new Promise((resolve) => {
    const write = sink.write.bind(sink);
    sink.write = (...args) => {
      write(...args);
      resolve();
    };
  });
}

describe("SystemdNotifier", { skip: noNotifySocket }, () => {
  it("sends READY, RELOADING with MONOTONIC_USEC, READY and STOPPING, in that order", async (t) => {
    const socket = await fakeNotifySocket(t);
    const { logger, sink } = recordingLogger();
    const notifier = new SystemdNotifier({ socket: socket.path }, logger, {
      monotonicNs: () => 5_000_000_000n,
    });
    notifier.ready("Serving");
    notifier.reloading();
    notifier.ready();
    notifier.stopping();
    await socket.waitFor(/^STOPPING=1$/);
    assert.deepEqual(socket.messages, [
      "READY=1\nSTATUS=Serving",
      "RELOADING=1\nMONOTONIC_USEC=5000000",
      "READY=1",
      "STOPPING=1",
    ]);
    assert.deepEqual(sink.lines, []);
  });

  it("pings WATCHDOG=1 once ready, and no more after STOPPING=1", async (t) => {
    const socket = await fakeNotifySocket(t);
    const { logger } = recordingLogger();
    // 2 ms timeout: a ping every millisecond, so a few arrive at once.
    const notifier = new SystemdNotifier({ socket: socket.path, watchdogUsec: 2000 }, logger);
    notifier.ready();
    await socket.waitFor(/^WATCHDOG=1$/, 1);
    notifier.stopping();
    await socket.waitFor(/^STOPPING=1$/);
    const stopped = socket.messages.indexOf("STOPPING=1");
    assert.equal(socket.messages[0], "READY=1");
    // A ping queued before stopping() may still go out; none is queued after it.
    notifier.ready();
    await socket.waitFor(/^READY=1$/, stopped + 1);
    assert.deepEqual(socket.messages.slice(stopped), ["STOPPING=1", "READY=1"]);
  });

  it("warns once when the command cannot run, and sends nothing more", async () => {
    const { logger, sink } = recordingLogger();
    const notifier = new SystemdNotifier({ socket: "/nonexistent/notify" }, logger, {
      command: "/nonexistent/systemd-notify",
    });
    const warned = firstLine(sink);
    notifier.ready();
    notifier.stopping();
    await warned;
    notifier.ready();
    assert.equal(sink.find("warn", /did not run \(ENOENT\)/).length, 1);
  });

  it("warns when systemd-notify fails (no socket there)", async () => {
    const { logger, sink } = recordingLogger();
    const notifier = new SystemdNotifier({ socket: "/nonexistent/notify.sock" }, logger);
    const warned = firstLine(sink);
    notifier.ready();
    await warned;
    assert.match(sink.lines[0]?.message ?? "", /^systemd-notify READY=1 failed \(exit code 1\): /);
  });
});
