/**
 * The system zone (TZ) must be one Node.js really applies, or the server does
 * not start. Node reads TZ through ICU, which knows IANA names (`Asia/Jakarta`,
 * also as `:Asia/Jakarta` or a zoneinfo path) and the simplest POSIX strings
 * (`UTC0`, `JST-9`), and silently serves UTC for anything else: a typo
 * (`Nonsense/Zone`) or a POSIX rule it cannot read (`CET-1CEST`, `IST-5:30`).
 * glibc, and so `date`, cron and syslog, would apply those POSIX rules, so the
 * replies would disagree with the rest of the machine without a word. The
 * check compares the offsets the process actually has with the offsets TZ
 * asks for, at two instants half a year apart (so daylight saving shows).
 */

import { existsSync } from "node:fs";
import { isKnownTimeZone } from "../clock/time-of-day.js";
import { configError } from "./option-values.js";

/** What the running process does with its TZ; the real one is RUNTIME_ZONE_PROBE. */
export interface ZoneProbe {
  /** Minutes east of UTC in the process's own (system) zone at `epochMs`. */
  offsetMinutesAt(epochMs: number): number;
  fileExists(path: string): boolean;
}

export const RUNTIME_ZONE_PROBE: ZoneProbe = {
  offsetMinutesAt: (epochMs) => 0 - new Date(epochMs).getTimezoneOffset(),
  fileExists: (path) => existsSync(path),
};

/** Mid-January and mid-July: one is in daylight saving time wherever there is any. */
const PROBE_INSTANTS = [Date.UTC(2026, 0, 15, 12), Date.UTC(2026, 6, 15, 12)] as const;

const ADVICE = "use an IANA name such as Asia/Jakarta, or unset TZ for the system zone";

/**
 * Throw the one-line TS_ERR_CONFIG error for a TZ the process would not
 * apply as written. `env` is where TZ is read for the message; `probe` must
 * describe the same process (the default: this one, whose TZ is env.TZ).
 */
export function checkSystemTimeZone(
  env: NodeJS.ProcessEnv,
  probe: ZoneProbe = RUNTIME_ZONE_PROBE,
): void {
  const raw = env.TZ;
  // Unset: /etc/localtime. Empty: UTC, for glibc and Node alike.
  if (raw === undefined || raw === "") return;
  // glibc's form for "a file or zone name, not a POSIX rule".
  const name = raw.startsWith(":") ? raw.slice(1) : raw;
  if (name === "") {
    // glibc reads /etc/localtime here; ICU falls back to UTC.
    throw configError("TZ", raw, `an empty zone name (${ADVICE})`);
  }
  if (name.startsWith("/")) {
    // ICU finds which zone a zoneinfo file is by its contents, as glibc reads it.
    if (!probe.fileExists(name)) throw configError("TZ", raw, `no such zone file (${ADVICE})`);
    return;
  }
  const observed = PROBE_INSTANTS.map((instant) => probe.offsetMinutesAt(instant));
  const zone = knownZoneName(name);
  if (zone !== undefined) {
    const expected = PROBE_INSTANTS.map((instant) => zoneOffsetMinutes(zone, instant));
    if (sameOffsets(observed, expected)) return;
    throw configError("TZ", raw, `Node.js would serve ${describeOffsets(observed)} (${ADVICE})`);
  }
  const rule = parsePosixTimeZone(name);
  if (rule === undefined) throw configError("TZ", raw, `not a known time zone (${ADVICE})`);
  const expected =
    rule.daylightOffset === undefined
      ? [rule.standardOffset, rule.standardOffset]
      : [rule.standardOffset, rule.daylightOffset];
  if (sameOffsets(ascending(observed), ascending(expected))) return;
  throw configError(
    "TZ",
    raw,
    `Node.js cannot apply this POSIX TZ rule and would serve ${describeOffsets(observed)} (${ADVICE})`,
  );
}

/** `name` as ICU knows it; glibc's posix/ and right/ trees name the same zones. */
function knownZoneName(name: string): string | undefined {
  if (isKnownTimeZone(name)) return name;
  const bare = name.replace(/^(posix|right)\//, "");
  return bare !== name && isKnownTimeZone(bare) ? bare : undefined;
}

function zoneOffsetMinutes(timeZone: string, epochMs: number): number {
  const format = new Intl.DateTimeFormat("en-US", { timeZone, timeZoneName: "longOffset" });
  const text = format.formatToParts(epochMs).find((part) => part.type === "timeZoneName")?.value;
  // "GMT+07:00", "GMT-03:30", or "GMT" for zero.
  const match = /^GMT(?:([+-])(\d{2}):(\d{2}))?$/.exec(text ?? "");
  if (match === null) return Number.NaN;
  if (match[1] === undefined) return 0;
  const minutes = Number(match[2]) * 60 + Number(match[3]);
  return match[1] === "-" ? -minutes : minutes;
}

function sameOffsets(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((value, i) => value === b[i]);
}

/** Which instant has daylight saving time depends on the hemisphere, so compare as sets. */
function ascending(offsets: readonly number[]): number[] {
  return [...offsets].sort((a, b) => a - b);
}

function describeOffsets(offsets: readonly number[]): string {
  const distinct = [...new Set(offsets.map(formatOffset))];
  return distinct.join(" and ");
}

/** `UTC+07:00`, as ISO 8601 writes an offset. */
export function formatOffset(minutes: number): string {
  const sign = minutes < 0 ? "-" : "+";
  const abs = Math.abs(minutes);
  return `UTC${sign}${String(Math.floor(abs / 60)).padStart(2, "0")}:${String(abs % 60).padStart(2, "0")}`;
}

/** Offsets in minutes east of UTC (POSIX writes them west-positive); never -0. */
export interface PosixTimeZone {
  standardOffset: number;
  /** Absent when the rule has no daylight saving time. */
  daylightOffset: number | undefined;
}

const NAME = "(?:[A-Za-z]{3,}|<[A-Za-z0-9+-]{3,}>)";
const OFFSET = "([+-]?)(\\d{1,2})(?::(\\d{1,2})(?::(\\d{1,2}))?)?";
const DATE = "(?:J\\d{1,3}|\\d{1,3}|M\\d{1,2}\\.\\d\\.\\d)";
const TIME = "(?:/[+-]?\\d{1,3}(?::\\d{1,2}(?::\\d{1,2})?)?)?";
const POSIX_TZ = new RegExp(
  `^${NAME}${OFFSET}(?:(${NAME})(?:${OFFSET})?(?:,${DATE}${TIME},${DATE}${TIME})?)?$`,
);

/**
 * A POSIX TZ string (`std offset [dst [offset] [,start[/time],end[/time]]]`,
 * e.g. `JST-9`, `CET-1CEST,M3.5.0,M10.5.0/3`, `<+07>-7`), as glibc reads it;
 * undefined for anything else. Only the offsets matter here, not the dates.
 */
export function parsePosixTimeZone(text: string): PosixTimeZone | undefined {
  const match = POSIX_TZ.exec(text);
  if (match === null) return undefined;
  const standard = westOffsetMinutes(match[1], match[2], match[3], match[4]);
  if (standard === undefined) return undefined;
  if (match[5] === undefined) return { standardOffset: 0 - standard, daylightOffset: undefined };
  // Without its own offset, daylight saving time is one hour ahead of standard.
  const daylight =
    match[7] === undefined
      ? standard - 60
      : westOffsetMinutes(match[6], match[7], match[8], match[9]);
  if (daylight === undefined) return undefined;
  return { standardOffset: 0 - standard, daylightOffset: 0 - daylight };
}

function westOffsetMinutes(
  sign: string | undefined,
  hours: string | undefined,
  minutes: string | undefined,
  seconds: string | undefined,
): number | undefined {
  const h = Number(hours);
  const m = minutes === undefined ? 0 : Number(minutes);
  const s = seconds === undefined ? 0 : Number(seconds);
  if (h > 24 || m > 59 || s > 59) return undefined;
  const total = h * 60 + m + Math.round(s / 60);
  return sign === "-" ? 0 - total : total;
}
