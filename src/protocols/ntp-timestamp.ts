/**
 * 64-bit NTP timestamps (RFC 5905 §6): 32 bits of seconds since 1900-01-01
 * and 32 bits of fraction, read and written at an offset of a buffer. Time is
 * a bigint of nanoseconds since the Unix epoch, so nothing is lost to
 * floating point. The seconds field wraps at 2036-02-07T06:28:16Z (era 1):
 * writing keeps the low 32 bits; reading picks the era (RFC 4330 §3).
 */

/** Nanoseconds since 1970-01-01T00:00:00Z (UTC, leap seconds not counted). */
export type EpochNs = bigint;

/** Seconds from the NTP epoch (1900) to the Unix epoch (1970). */
export const NTP_UNIX_OFFSET_SECONDS = 2_208_988_800;

const NS_PER_S = 1_000_000_000n;
const OFFSET = BigInt(NTP_UNIX_OFFSET_SECONDS);
const ERA = 1n << 32n;
/** First instant of NTP era 1 (2036-02-07T06:28:16Z) in Unix seconds. */
const ERA1_UNIX_SECONDS = 2n ** 32n - OFFSET;

/** Whole seconds and nanoseconds (0 ≤ nsec < 1e9) of `ns`, flooring negatives. */
function split(ns: EpochNs): [bigint, bigint] {
  let sec = ns / NS_PER_S;
  let nsec = ns % NS_PER_S;
  if (nsec < 0n) {
    nsec += NS_PER_S;
    sec -= 1n;
  }
  return [sec, nsec];
}

/**
 * Writes `ns` as an NTP timestamp into bytes `offset..offset+7` of `buf`.
 * Seconds are kept mod 2^32 (the era is not on the wire); the fraction is
 * round(nsec * 2^32 / 1e9), computed exactly (see below).
 */
export function writeNtpTimestamp(buf: Buffer, offset: number, ns: EpochNs): void {
  let sec = ns / NS_PER_S;
  let nsec = Number(ns - sec * NS_PER_S);
  if (nsec < 0) {
    nsec += 1e9;
    sec -= 1n;
  }
  writeNtpTimestampParts(buf, offset, Number(sec), nsec);
}

/** An instant as whole Unix seconds and nanoseconds (0 ≤ nsec < 1e9): what the kernel stamps, no BigInt. */
export interface NtpInstant {
  sec: number;
  nsec: number;
}

/** Writes whole Unix seconds and nanoseconds (0 ≤ nsec < 1e9) as an NTP timestamp, as `writeNtpTimestamp` does. */
export function writeNtpTimestampParts(
  buf: Buffer,
  offset: number,
  unixSeconds: number,
  nsec: number,
): void {
  // `>>> 0` is mod 2^32, exact for any whole number below 2^53.
  buf.writeUInt32BE((unixSeconds + NTP_UNIX_OFFSET_SECONDS) >>> 0, offset);
  // nsec * 2^32 / 1e9 = nsec * 2^23 / 5^9. The numerator is below 2^53, so it
  // is exact; the quotient (< 2^32) is off by at most 2^-22, while it is never
  // nearer than 2.56e-7 to a half (5^9 is odd), so Math.round rounds it as
  // exact arithmetic would. nsec < 1e9 keeps the result ≤ 2^32 - 4: no carry.
  buf.writeUInt32BE(Math.round((nsec * 8_388_608) / 1_953_125), offset + 4);
}

/**
 * Reads the NTP timestamp at `offset` as Unix nanoseconds (fraction rounded
 * to the nanosecond, so a written value reads back exactly). Without a pivot
 * the RFC 4330 rule places it between 1968-01-20 and 2104-02-26: seconds with
 * the top bit set are era 0, the rest era 1. With `pivotNs` the era that puts
 * it nearest the pivot is chosen. The all-zero timestamp ("unknown") reads as
 * its era-0 value; test for it with `isZeroNtpTimestamp`.
 */
export function readNtpTimestamp(buf: Uint8Array, offset: number, pivotNs?: EpochNs): EpochNs {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const seconds = BigInt(view.getUint32(offset));
  const fraction = BigInt(view.getUint32(offset + 4));
  const nsec = (fraction * NS_PER_S + (1n << 31n)) >> 32n;
  let unix = seconds - OFFSET;
  if (pivotNs === undefined) {
    if (seconds < 1n << 31n) unix += ERA;
  } else {
    const pivotSec = split(pivotNs)[0];
    unix += roundDiv(pivotSec - unix, ERA) * ERA;
  }
  return unix * NS_PER_S + nsec;
}

/** True when all 8 bytes at `offset` are zero: NTP's "no time" value. */
export function isZeroNtpTimestamp(buf: Uint8Array, offset: number): boolean {
  for (let i = offset; i < offset + 8; i++) if (buf[i] !== 0) return false;
  return true;
}

/** `n / d` rounded to the nearest integer (halves away from zero), d > 0. */
function roundDiv(n: bigint, d: bigint): bigint {
  return n >= 0n ? (n + d / 2n) / d : -((-n + d / 2n) / d);
}

/** Unix nanoseconds from whole Unix seconds and nanoseconds. */
export function epochNs(unixSeconds: number, nanoseconds = 0): EpochNs {
  return BigInt(unixSeconds) * NS_PER_S + BigInt(nanoseconds);
}

/** Unix milliseconds (floored) from nanoseconds, for Date and RFC 868. */
export function epochNsToMs(ns: EpochNs): number {
  const ms = ns / 1_000_000n;
  return Number(ns < 0n && ms * 1_000_000n !== ns ? ms - 1n : ms);
}

/** 2036-02-07T06:28:16Z in Unix seconds: where the NTP seconds field wraps to 0. */
export const NTP_ERA1_UNIX_SECONDS = Number(ERA1_UNIX_SECONDS);

/**
 * Seconds as NTP short format (16.16 fixed point, RFC 5905 §6), for root
 * delay and root dispersion: rounded, clamped to 0..65535.99998 s.
 */
export function ntpShort(seconds: number): number {
  if (!(seconds > 0)) return 0;
  return Math.min(0xffffffff, Math.round(seconds * 65536));
}
