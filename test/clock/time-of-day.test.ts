import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { isKnownTimeZone, timeOfDayFormatter } from "../../src/clock/time-of-day.js";

const at = (iso: string) => Date.parse(iso);

describe("timeOfDayFormatter", () => {
  it("formats a zoned time as zero-padded 24-hour hh:mm:ss", () => {
    const jakarta = timeOfDayFormatter("Asia/Jakarta");
    assert.equal(jakarta(at("2026-01-01T17:04:05Z")), "00:04:05");
    assert.equal(jakarta(at("2026-01-01T05:00:09Z")), "12:00:09");
    assert.equal(timeOfDayFormatter("UTC")(at("2026-01-01T23:59:59Z")), "23:59:59");
  });

  it("follows daylight saving time in zones that have it", () => {
    const berlin = timeOfDayFormatter("Europe/Berlin");
    assert.equal(berlin(at("2026-01-15T12:00:00Z")), "13:00:00");
    assert.equal(berlin(at("2026-07-15T12:00:00Z")), "14:00:00");
  });

  it("uses the system zone when no zone is given", () => {
    const ms = at("2026-03-04T10:11:12Z");
    const d = new Date(ms);
    const expected = [d.getHours(), d.getMinutes(), d.getSeconds()]
      .map((n) => String(n).padStart(2, "0"))
      .join(":");
    assert.equal(timeOfDayFormatter()(ms), expected);
  });

  it("always yields hh:mm:ss with hours 00-23, in any zone, at any instant", () => {
    const zones = [
      "UTC",
      "Asia/Jakarta",
      "America/St_Johns",
      "Asia/Kathmandu",
      "Pacific/Kiritimati",
      "Europe/London",
    ];
    fc.assert(
      fc.property(
        fc.constantFrom(...zones),
        fc.integer({ min: 0, max: 4_102_444_800_000 }),
        (zone, ms) => {
          assert.match(timeOfDayFormatter(zone)(ms), /^([01]\d|2[0-3]):[0-5]\d:[0-5]\d$/);
        },
      ),
      { numRuns: 500 },
    );
  });

  it("rejects unknown zones", () => {
    assert.equal(isKnownTimeZone("Mars/Olympus"), false);
    assert.equal(isKnownTimeZone(""), false);
    assert.equal(isKnownTimeZone("Asia/Jakarta"), true);
    assert.throws(() => timeOfDayFormatter("Mars/Olympus"), RangeError);
  });
});
