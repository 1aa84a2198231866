import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { daytimeFormatter, encodeDaytime } from "../../src/protocols/daytime.js";

const at = (iso: string) => Date.parse(iso);
const line = (iso: string, zone?: string) =>
  encodeDaytime(at(iso), daytimeFormatter(zone)).toString("latin1");

const SHAPE =
  /^(Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday), (January|February|March|April|May|June|July|August|September|October|November|December) [1-9]\d?, \d{4} ([01]\d|2[0-3]):[0-5]\d:[0-5]\d-[\x21-\x7e]+\r\n$/;

describe("RFC 867 daytime", () => {
  it("writes RFC 867's suggested syntax in UTC", () => {
    assert.equal(
      line("2026-11-26T14:15:16Z", "UTC"),
      "Thursday, November 26, 2026 14:15:16-UTC\r\n",
    );
  });

  it("does not zero-pad the day and writes midnight as 00", () => {
    assert.equal(line("2026-03-01T00:00:00Z", "UTC"), "Sunday, March 1, 2026 00:00:00-UTC\r\n");
  });

  it("names New York's zone EST in winter and EDT in summer, with the local date", () => {
    assert.equal(
      line("2026-01-05T17:04:05Z", "America/New_York"),
      "Monday, January 5, 2026 12:04:05-EST\r\n",
    );
    assert.equal(
      line("2026-07-04T03:00:00Z", "America/New_York"),
      "Friday, July 3, 2026 23:00:00-EDT\r\n",
    );
  });

  it("writes offsets without a short name as GMT+7 and GMT+5:30", () => {
    assert.equal(
      line("2026-11-26T20:00:00Z", "Asia/Jakarta"),
      "Friday, November 27, 2026 03:00:00-GMT+7\r\n",
    );
    assert.equal(
      line("2026-11-26T14:15:16Z", "Asia/Kolkata"),
      "Thursday, November 26, 2026 19:45:16-GMT+5:30\r\n",
    );
  });

  it("uses the system zone when none is given", () => {
    assert.match(line("2026-11-26T14:15:16Z"), SHAPE);
  });

  it("refuses an unknown zone", () => {
    assert.throws(() => daytimeFormatter("Mars/Olympus"), RangeError);
  });

  it("is one ASCII line in the RFC 867 shape ending in CRLF, for any instant and zone", () => {
    const zones = ["UTC", "America/New_York", "Asia/Jakarta", "Asia/Kolkata", "Pacific/Chatham"];
    const formatters = zones.map((zone) => daytimeFormatter(zone));
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: at("2100-01-01T00:00:00Z") }),
        fc.nat(zones.length - 1),
        (t, zone) => {
          const reply = encodeDaytime(t, formatters[zone]!);
          assert.ok(reply.every((byte) => byte < 0x80));
          assert.match(reply.toString("latin1"), SHAPE);
        },
      ),
    );
  });
});
