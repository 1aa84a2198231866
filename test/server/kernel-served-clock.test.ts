/**
 * The served clock kept fresh: the kernel is asked at most once a second,
 * what it says is logged at start (a warning when replies will say LI 3)
 * and again only when synchronisation or a leap announcement changes.
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type KernelClockState, STA_INS, STA_UNSYNC } from "../../src/clock/served-clock.js";
import { kernelServedClock } from "../../src/server/kernel-served-clock.js";
import { ManualClock } from "../helpers/manual-clock.js";
import { recordingLogger } from "../helpers/recording-logger.js";

describe("kernelServedClock", () => {
  it("reads the kernel at most once a second and logs each change once", () => {
    const clock = new ManualClock();
    const { logger, sink } = recordingLogger("info");
    let kernel: KernelClockState | undefined = {
      state: 5,
      status: STA_UNSYNC,
      maxErrorUs: 16_000_000,
      estErrorUs: 16_000_000,
    };
    let reads = 0;
    const served = kernelServedClock({
      stratum: 10,
      local: false,
      clock,
      logger,
      read: () => {
        reads++;
        return kernel;
      },
    });
    assert.equal(served().leap, 3);
    assert.equal(sink.find("warn", /not synchronised.*LI 3, stratum 0/).length, 1);
    kernel = { state: 1, status: STA_INS, maxErrorUs: 2000, estErrorUs: 10 };
    for (let i = 0; i < 10; i++) served();
    assert.equal(reads, 1, "no second read within the second");
    clock.advance(1000);
    assert.equal(served().leap, 1);
    assert.equal(served().stratum, 10);
    assert.equal(reads, 2);
    assert.equal(sink.find("info", /is synchronised.*LI 1, stratum 10/).length, 1);
    clock.advance(1000);
    served();
    assert.equal(sink.lines.length, 2, "an unchanged state is not logged again");
  });

  it("when the state cannot be read, says so and serves as --local says", () => {
    const { logger, sink } = recordingLogger("info");
    const clock = new ManualClock();
    const local = kernelServedClock({
      stratum: 9,
      local: true,
      clock,
      logger,
      read: () => undefined,
    });
    assert.equal(local().stratum, 9);
    assert.equal(local().leap, 0);
    assert.equal(sink.find("info", /cannot be read/).length, 1);
    const strict = kernelServedClock({
      stratum: 9,
      local: false,
      clock,
      logger,
      read: () => undefined,
    });
    assert.equal(strict().leap, 3);
    assert.equal(sink.find("warn", /cannot be read.*LI 3/).length, 1);
  });
});
