import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import {
  checkSystemTimeZone,
  formatOffset,
  parsePosixTimeZone,
  type ZoneProbe,
} from "../../src/config/system-time-zone.js";
import { TimeServerError } from "../../src/errors.js";

/** A process whose system zone is `january` minutes east of UTC in January and `july` in July. */
function probe(january: number, july = january, files: string[] = []): ZoneProbe {
  return {
    offsetMinutesAt: (epochMs) => (new Date(epochMs).getUTCMonth() < 6 ? january : july),
    fileExists: (path) => files.includes(path),
  };
}

function refusal(tz: string, zone: ZoneProbe): string {
  try {
    checkSystemTimeZone({ TZ: tz }, zone);
  } catch (error) {
    assert.ok(error instanceof TimeServerError);
    assert.equal(error.code, "TS_ERR_CONFIG");
    return error.message;
  }
  return assert.fail(`TZ=${tz} was accepted`);
}

describe("checkSystemTimeZone", () => {
  it("accepts an unset or empty TZ (the system zone, and UTC)", () => {
    checkSystemTimeZone({}, probe(420));
    checkSystemTimeZone({ TZ: "" }, probe(0));
  });

  it("accepts IANA names, with or without glibc's colon and posix/ or right/ tree", () => {
    checkSystemTimeZone({ TZ: "Asia/Jakarta" }, probe(420));
    checkSystemTimeZone({ TZ: ":Asia/Jakarta" }, probe(420));
    checkSystemTimeZone({ TZ: "posix/Asia/Jakarta" }, probe(420));
    checkSystemTimeZone({ TZ: "Europe/Paris" }, probe(60, 120));
    checkSystemTimeZone({ TZ: "Australia/Sydney" }, probe(660, 600));
    checkSystemTimeZone({ TZ: "EST5EDT" }, probe(-300, -240));
    checkSystemTimeZone({ TZ: "UTC" }, probe(0));
  });

  it("accepts POSIX strings the process applies as written", () => {
    checkSystemTimeZone({ TZ: "UTC0" }, probe(0));
    checkSystemTimeZone({ TZ: "JST-9" }, probe(540));
    checkSystemTimeZone({ TZ: "EST5" }, probe(-300));
    checkSystemTimeZone({ TZ: "NZST-12NZDT" }, probe(780, 720));
  });

  it("accepts a zoneinfo file that exists", () => {
    checkSystemTimeZone({ TZ: ":/etc/localtime" }, probe(0, 0, ["/etc/localtime"]));
    checkSystemTimeZone(
      { TZ: "/usr/share/zoneinfo/Asia/Jakarta" },
      probe(420, 420, ["/usr/share/zoneinfo/Asia/Jakarta"]),
    );
  });

  it("refuses a name no one knows, naming TZ and the value", () => {
    assert.equal(
      refusal("Nonsense/Zone", probe(0)),
      'invalid TZ "Nonsense/Zone": not a known time zone (use an IANA name such as Asia/Jakarta, or unset TZ for the system zone)',
    );
    assert.match(refusal("Asia/Jakarta ", probe(0)), /^invalid TZ "Asia\/Jakarta "/);
    assert.match(refusal("Z", probe(0)), /not a known time zone/);
    assert.match(refusal("localtime", probe(0)), /not a known time zone/);
  });

  it("refuses a POSIX rule the process does not apply, saying what it would serve", () => {
    assert.match(
      refusal("CET-1CEST,M3.5.0,M10.5.0/3", probe(0)),
      /^invalid TZ "CET-1CEST,M3\.5\.0,M10\.5\.0\/3": Node\.js cannot apply this POSIX TZ rule and would serve UTC\+00:00 /,
    );
    assert.match(refusal("IST-5:30", probe(0)), /would serve UTC\+00:00/);
    assert.match(refusal("<+07>-7", probe(0)), /would serve UTC\+00:00/);
    // Standard time right but daylight saving time dropped is wrong half the year.
    assert.match(refusal("NZST-12NZDT", probe(720)), /would serve UTC\+12:00/);
  });

  it("refuses an IANA name the process did not take up", () => {
    assert.match(refusal("Asia/Jakarta", probe(0)), /would serve UTC\+00:00/);
  });

  it("refuses an empty zone name and a missing zoneinfo file", () => {
    assert.match(refusal(":", probe(0)), /^invalid TZ ":": an empty zone name/);
    assert.match(refusal(":/nonexistent/zone", probe(0)), /no such zone file/);
  });
});

describe("parsePosixTimeZone", () => {
  it("reads offsets west-positive, as POSIX writes them, into minutes east of UTC", () => {
    assert.deepEqual(parsePosixTimeZone("JST-9"), {
      standardOffset: 540,
      daylightOffset: undefined,
    });
    assert.deepEqual(parsePosixTimeZone("EST5EDT"), { standardOffset: -300, daylightOffset: -240 });
    assert.deepEqual(parsePosixTimeZone("IST-5:30"), {
      standardOffset: 330,
      daylightOffset: undefined,
    });
    assert.deepEqual(parsePosixTimeZone("<+07>-7"), {
      standardOffset: 420,
      daylightOffset: undefined,
    });
    assert.deepEqual(parsePosixTimeZone("AEST-10AEDT,M10.1.0,M4.1.0/3"), {
      standardOffset: 600,
      daylightOffset: 660,
    });
    assert.deepEqual(parsePosixTimeZone("XST3XDT1,J60/2,300/-1"), {
      standardOffset: -180,
      daylightOffset: -60,
    });
  });

  it("refuses what is not a POSIX TZ string", () => {
    for (const text of [
      "",
      "Z",
      "UTC",
      "Nonsense/Zone",
      "EST25",
      "EST5:60",
      "EST5EDT,M3",
      "5EST",
      "Asia/Jakarta",
    ]) {
      assert.equal(parsePosixTimeZone(text), undefined, text);
    }
  });

  it("reads back any standard offset it is given", () => {
    fc.assert(
      fc.property(
        fc.stringMatching(/^[A-Z]{3,5}$/),
        fc.integer({ min: -24 * 60, max: 24 * 60 }),
        (name, west) => {
          const abs = Math.abs(west);
          const text = `${name}${west < 0 ? "-" : ""}${Math.floor(abs / 60)}:${String(abs % 60).padStart(2, "0")}`;
          assert.equal(parsePosixTimeZone(text)?.standardOffset, 0 - west);
        },
      ),
    );
  });

  it("formats offsets as ISO 8601 does", () => {
    assert.equal(formatOffset(0), "UTC+00:00");
    assert.equal(formatOffset(420), "UTC+07:00");
    assert.equal(formatOffset(-210), "UTC-03:30");
  });
});
