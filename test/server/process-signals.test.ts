/**
 * The SIGUSR1 and SIGHUP listeners, driven by real signals sent to this test
 * process: each signal is logged once, SIGHUP runs the reload callback when
 * there is one, and installing again replaces the listeners.
 */

import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, it } from "node:test";
import type { EventLevel } from "../../src/logging/levels.js";
import { SIGHUP_IGNORED, SIGUSR1_IGNORED } from "../../src/logging/log-events.js";
import { type LogFields, Logger } from "../../src/logging/logger.js";
import { installProcessSignals } from "../../src/server/process-signals.js";

interface Line {
  level: EventLevel;
  message: string;
  fields: LogFields | undefined;
}

/** A logger that keeps its lines and wakes whoever waits for the next one. */
function recordingLogger(): { logger: Logger; lines: Line[]; next(): Promise<Line> } {
  const lines: Line[] = [];
  let waiter: ((line: Line) => void) | undefined;
  const logger = new Logger("info", {
    write(level, message, fields) {
      const line = { level, message, fields };
      lines.push(line);
      const wake = waiter;
      waiter = undefined;
      wake?.(line);
    },
    flush() {},
    close: async () => 0,
    dropped: 0,
  });
  return {
    logger,
    lines,
    next: () =>
      new Promise((resolve) => {
        waiter = resolve;
      }),
  };
}

describe("installProcessSignals", () => {
  // Signal listeners do not keep the event loop alive; something must while a test waits for one.
  let keepAlive: NodeJS.Timeout | undefined;
  beforeEach(() => {
    keepAlive = setInterval(() => {}, 60_000);
  });
  afterEach(() => clearInterval(keepAlive));

  it("logs SIGUSR1 as ignored, at warn, and the process lives on", async () => {
    const { logger, next } = recordingLogger();
    installProcessSignals(logger);
    const line = next();
    process.kill(process.pid, "SIGUSR1");
    assert.deepEqual(await line, {
      level: "warn",
      message: SIGUSR1_IGNORED,
      fields: { event: "signal-ignored", signal: "SIGUSR1" },
    });
    assert.equal(process.listenerCount("SIGUSR1"), 1);
  });

  it("logs SIGHUP as nothing to reload when no reload was given", async () => {
    const { logger, next } = recordingLogger();
    installProcessSignals(logger);
    const line = next();
    process.kill(process.pid, "SIGHUP");
    assert.deepEqual(await line, {
      level: "info",
      message: SIGHUP_IGNORED,
      fields: { event: "signal-ignored", signal: "SIGHUP" },
    });
  });

  it("runs the reload on SIGHUP when one is given", async () => {
    const { logger, lines } = recordingLogger();
    const reloaded = new Promise<void>((resolve) =>
      installProcessSignals(logger, { onHangup: resolve }),
    );
    process.kill(process.pid, "SIGHUP");
    await reloaded;
    assert.deepEqual(
      lines.map((line) => line.message),
      ["Received SIGHUP; reloading"],
    );
  });

  it("replaces the listeners it installed before, so each signal is handled once", async () => {
    const first = recordingLogger();
    const second = recordingLogger();
    installProcessSignals(first.logger);
    installProcessSignals(second.logger);
    assert.equal(process.listenerCount("SIGUSR1"), 1);
    assert.equal(process.listenerCount("SIGHUP"), 1);
    const hangup = second.next();
    process.kill(process.pid, "SIGHUP");
    await hangup;
    const usr1 = second.next();
    process.kill(process.pid, "SIGUSR1");
    await usr1;
    assert.deepEqual(first.lines, []);
    assert.deepEqual(
      second.lines.map((line) => line.message),
      [SIGHUP_IGNORED, SIGUSR1_IGNORED],
    );
  });
});
