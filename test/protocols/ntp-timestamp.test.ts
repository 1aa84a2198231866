import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import {
  epochNs,
  epochNsToMs,
  isZeroNtpTimestamp,
  NTP_ERA1_UNIX_SECONDS,
  NTP_UNIX_OFFSET_SECONDS,
  ntpShort,
  readNtpTimestamp,
  writeNtpTimestamp,
} from "../../src/protocols/ntp-timestamp.js";

function written(ns: bigint): [number, number] {
  const buf = Buffer.alloc(8);
  writeNtpTimestamp(buf, 0, ns);
  return [buf.readUInt32BE(0), buf.readUInt32BE(4)];
}

const S = 1_000_000_000n;
/** RFC 4330's window for timestamps read without a pivot: 1968-01-20T03:14:08Z .. 2104-02-26. */
const WINDOW_START = BigInt(2 ** 31 - NTP_UNIX_OFFSET_SECONDS) * S;
const WINDOW_END = BigInt(2 ** 31 + 2 ** 32 - NTP_UNIX_OFFSET_SECONDS) * S;

describe("NTP timestamps", () => {
  it("counts seconds from 1900: the Unix epoch is 2208988800", () => {
    assert.deepEqual(written(0n), [2_208_988_800, 0]);
    assert.equal(NTP_ERA1_UNIX_SECONDS, Date.parse("2036-02-07T06:28:16Z") / 1000);
  });

  it("writes the fraction as round(nsec * 2^32 / 1e9)", () => {
    assert.deepEqual(written(epochNs(10, 500_000_000)), [2_208_988_810, 0x80000000]);
    assert.deepEqual(written(epochNs(10, 1)), [2_208_988_810, 4]); // 4.29 rounds down
    assert.deepEqual(written(epochNs(10, 999_999_999)), [2_208_988_810, 0xfffffffc]); // no carry
  });

  it("floors times before 1970 to the second below, with a positive fraction", () => {
    assert.deepEqual(written(-500_000_000n), [2_208_988_799, 0x80000000]);
  });

  it("wraps the seconds to 0 at 2036-02-07T06:28:16Z and reads them back in era 1", () => {
    const wrap = epochNs(NTP_ERA1_UNIX_SECONDS);
    assert.deepEqual(written(wrap - 1n), [0xffffffff, 0xfffffffc]);
    assert.deepEqual(written(wrap), [0, 0]);
    assert.deepEqual(written(wrap + S + 250_000_000n), [1, 0x40000000]);
    for (const ns of [wrap - S, wrap, wrap + S]) {
      const buf = Buffer.alloc(8);
      writeNtpTimestamp(buf, 0, ns);
      assert.equal(readNtpTimestamp(buf, 0), ns);
    }
  });

  it("writes and reads at an offset without touching the bytes around it", () => {
    const buf = Buffer.alloc(12, 0xaa);
    writeNtpTimestamp(buf, 2, epochNs(1_800_000_000, 123_456_789));
    assert.equal(buf[0], 0xaa);
    assert.equal(buf[1], 0xaa);
    assert.equal(buf[10], 0xaa);
    assert.equal(readNtpTimestamp(buf.subarray(1), 1), epochNs(1_800_000_000, 123_456_789));
  });

  it("reads back every nanosecond it wrote inside RFC 4330's window (1968-2104)", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: WINDOW_START, max: WINDOW_END - 1n }), (ns) => {
        const buf = Buffer.alloc(8);
        writeNtpTimestamp(buf, 0, ns);
        assert.equal(readNtpTimestamp(buf, 0), ns);
      }),
    );
  });

  it("puts a timestamp in the era nearest the pivot, from 1900 to 2400", () => {
    const from = BigInt(-NTP_UNIX_OFFSET_SECONDS) * S;
    const to = BigInt(Date.parse("2400-01-01T00:00:00Z") / 1000) * S;
    const sixtyYears = 60n * 365n * 86_400n * S;
    fc.assert(
      fc.property(
        fc.bigInt({ min: from, max: to }),
        fc.bigInt({ min: -sixtyYears, max: sixtyYears }),
        (ns, skew) => {
          const buf = Buffer.alloc(8);
          writeNtpTimestamp(buf, 0, ns);
          assert.equal(readNtpTimestamp(buf, 0, ns + skew), ns);
        },
      ),
    );
  });

  it("needs the pivot past 2104: without it a 2150 time reads 136 years early", () => {
    const ns = BigInt(Date.parse("2150-06-01T00:00:00Z")) * 1_000_000n;
    const buf = Buffer.alloc(8);
    writeNtpTimestamp(buf, 0, ns);
    assert.equal(readNtpTimestamp(buf, 0), ns - (1n << 32n) * S);
    assert.equal(readNtpTimestamp(buf, 0, ns), ns);
  });

  it("recognises the all-zero timestamp", () => {
    const buf = Buffer.alloc(16);
    assert.equal(isZeroNtpTimestamp(buf, 4), true);
    buf[11] = 1;
    assert.equal(isZeroNtpTimestamp(buf, 4), false);
  });

  it("converts nanoseconds to milliseconds by flooring, also before 1970", () => {
    assert.equal(epochNsToMs(1_999_999n), 1);
    assert.equal(epochNsToMs(-1n), -1);
    assert.equal(epochNsToMs(-1_000_000n), -1);
  });

  it("writes NTP short format (16.16 seconds), clamped to the field", () => {
    assert.equal(ntpShort(1), 0x00010000);
    assert.equal(ntpShort(0.5), 0x00008000);
    assert.equal(ntpShort(1 / 65536), 1);
    assert.equal(ntpShort(-1), 0);
    assert.equal(ntpShort(Number.NaN), 0);
    assert.equal(ntpShort(1e6), 0xffffffff);
  });
});
