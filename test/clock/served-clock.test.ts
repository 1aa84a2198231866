/**
 * What SNTP replies say about the clock, from the kernel's state: chrony's
 * unsynchronised fields when the kernel says so or cannot be asked, the
 * configured stratum and the old local fields with `local`, the leap bits
 * as the leap indicator and the maximum error as the root dispersion.
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import {
  type KernelClockState,
  STA_DEL,
  STA_INS,
  STA_UNSYNC,
  servedClock,
  TIME_ERROR,
  UNSYNCHRONISED,
} from "../../src/clock/served-clock.js";

const SYNCED: KernelClockState = { state: 0, status: 0x2001, maxErrorUs: 1500, estErrorUs: 20 };

describe("servedClock", () => {
  it("unsynchronised (STA_UNSYNC or TIME_ERROR) or unknown: LI 3, stratum 0, as chrony without local", () => {
    for (const kernel of [
      { ...SYNCED, status: STA_UNSYNC },
      { ...SYNCED, state: TIME_ERROR },
      undefined,
    ]) {
      const served = servedClock(kernel, { stratum: 10, local: false });
      assert.equal(served, UNSYNCHRONISED);
      assert.equal(served.leap, 3);
      assert.equal(served.stratum, 0);
      assert.deepEqual([...(served.referenceId as Uint8Array)], [0, 0, 0, 0]);
      assert.equal(served.hasReference, false);
    }
  });

  it("with local, the same states serve the configured stratum with the old fields", () => {
    for (const kernel of [{ ...SYNCED, status: STA_UNSYNC }, undefined]) {
      const served = servedClock(kernel, { stratum: 7, local: true });
      assert.deepEqual(
        [served.leap, served.stratum, served.rootDelay, served.rootDispersion, served.referenceId],
        [0, 7, 0, 0.001, "LOCL"],
      );
    }
  });

  it("synchronised: the configured stratum, the leap bits as LI, the maximum error as root dispersion", () => {
    assert.equal(servedClock(SYNCED, { stratum: 3, local: false }).leap, 0);
    assert.equal(servedClock({ ...SYNCED, status: STA_INS }, { stratum: 3, local: false }).leap, 1);
    assert.equal(servedClock({ ...SYNCED, status: STA_DEL }, { stratum: 3, local: false }).leap, 2);
    const served = servedClock(SYNCED, { stratum: 3, local: true });
    assert.equal(served.stratum, 3);
    assert.equal(served.synchronised, true);
    assert.equal(served.rootDispersion, 0.0015);
  });

  it("never claims a leap indicator of 3 while synchronised, nor less than 3 while unsynchronised without local", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 5 }),
        fc.integer({ min: 0, max: 0xffff }),
        fc.nat(16_000_000),
        fc.boolean(),
        (state, status, maxErrorUs, local) => {
          const served = servedClock(
            { state, status, maxErrorUs, estErrorUs: 0 },
            { stratum: 10, local },
          );
          const unsync = (status & STA_UNSYNC) !== 0 || state === TIME_ERROR;
          assert.equal(served.synchronised, !unsync);
          if (!unsync) assert.notEqual(served.leap, 3);
          if (unsync && !local) assert.equal(served.leap, 3);
          assert.ok(served.rootDispersion > 0);
        },
      ),
    );
  });
});
