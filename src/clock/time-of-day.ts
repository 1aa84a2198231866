/**
 * Wall-clock time of day as `hh:mm:ss`, in the system zone (which honours TZ)
 * or in a named IANA zone. Pure functions of a timestamp: reading the clock is
 * the caller's job.
 */

export type TimeOfDayFormatter = (epochMs: number) => string;

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/** True when the runtime knows `name` as a time zone (IANA names such as Asia/Jakarta, or UTC). */
export function isKnownTimeZone(name: string): boolean {
  if (name.trim() === "") return false;
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

/** A formatter for `timeZone`, or for the system zone when it is undefined. */
export function timeOfDayFormatter(timeZone?: string): TimeOfDayFormatter {
  if (timeZone === undefined) {
    return (epochMs) => {
      const d = new Date(epochMs);
      return `${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}`;
    };
  }
  if (!isKnownTimeZone(timeZone)) throw new RangeError(`unknown time zone: ${timeZone}`);
  const format = new Intl.DateTimeFormat("en-US", {
    timeZone,
    hourCycle: "h23",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
  });
  return (epochMs) => {
    let h = 0;
    let m = 0;
    let s = 0;
    for (const part of format.formatToParts(epochMs)) {
      if (part.type === "hour") h = Number(part.value);
      else if (part.type === "minute") m = Number(part.value);
      else if (part.type === "second") s = Number(part.value);
    }
    return `${pad2(h)}:${pad2(m)}:${pad2(s)}`;
  };
}
