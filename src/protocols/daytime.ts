/**
 * RFC 867 Daytime: the reply is one line of ASCII giving the date and time,
 * in the syntax RFC 867 suggests: `Weekday, Month Day, Year HH:MM:SS-ZONE\r\n`
 * (e.g. `Thursday, November 26, 2026 14:15:16-UTC`). Day not zero-padded,
 * 24-hour clock, ZONE the zone's short en-US name without spaces (`EST`,
 * `GMT+7`, `GMT+5:30`). Pure functions of a timestamp: reading the clock, and
 * caching the line per second, are the caller's job (see DaytimeReplyCache).
 */

import { isKnownTimeZone } from "../clock/time-of-day.js";

/** The daytime line for an instant, without its CRLF. */
export type DaytimeFormatter = (epochMs: number) => string;

function pad2(value: string): string {
  return value.length < 2 ? `0${value}` : value;
}

/**
 * A formatter for `timeZone` (an IANA name such as Asia/Jakarta, or UTC), or
 * for the system zone when it is undefined. Throws RangeError for an unknown
 * zone. Each call runs Intl formatting (microseconds): cache per second.
 */
export function daytimeFormatter(timeZone?: string): DaytimeFormatter {
  if (timeZone !== undefined && !isKnownTimeZone(timeZone))
    throw new RangeError(`unknown time zone: ${timeZone}`);
  const format = new Intl.DateTimeFormat("en-US", {
    timeZone,
    weekday: "long",
    month: "long",
    day: "numeric",
    year: "numeric",
    hourCycle: "h23",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
    timeZoneName: "short",
  });
  return (epochMs) => {
    const field = { weekday: "", month: "", day: "", year: "", hour: "", minute: "", second: "" };
    let zone = "";
    for (const part of format.formatToParts(epochMs)) {
      if (part.type === "timeZoneName") zone = part.value;
      else if (part.type in field) field[part.type as keyof typeof field] = part.value;
    }
    // ICU may write U+2212 for minus; the wire is ASCII and the zone has no spaces.
    zone = zone.replace(/\u2212/g, "-").replace(/[^\x21-\x7e]/g, "");
    const { weekday, month, day, year, hour, minute, second } = field;
    return `${weekday}, ${month} ${day}, ${year} ${pad2(hour)}:${pad2(minute)}:${pad2(second)}-${zone}`;
  };
}

/** The reply bytes (the line and CRLF, ASCII) for the instant `epochMs`. */
export function encodeDaytime(epochMs: number, format: DaytimeFormatter): Buffer {
  return Buffer.from(`${format(epochMs)}\r\n`, "latin1");
}
