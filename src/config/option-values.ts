/**
 * Parsers for option values, shared by the three programs. Each takes the
 * value as typed and where it came from (`--port` or `TIMESERVER_PORT`), and
 * either returns the value or throws a TS_ERR_CONFIG error whose message is
 * the one line the user will see.
 */

import { configError } from "../errors.js";

export { configError };

const DECIMAL = /^\d+$/;

export function parseInteger(source: string, raw: string, min: number, max: number): number {
  const trimmed = raw.trim();
  const value = DECIMAL.test(trimmed) ? Number(trimmed) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw configError(source, raw, `must be a whole number from ${min} to ${max}`);
  }
  return value;
}

export function parsePort(source: string, raw: string, min = 0): number {
  return parseInteger(source, raw, min, 65535);
}

export function parseChoice<T extends string>(
  source: string,
  raw: string,
  choices: readonly T[],
): T {
  const value = raw.trim().toLowerCase();
  if (!(choices as readonly string[]).includes(value)) {
    throw configError(source, raw, `must be one of ${choices.join(", ")}`);
  }
  return value as T;
}

export function parseHost(source: string, raw: string): string {
  const value = raw.trim();
  if (value === "" || /\s/.test(value))
    throw configError(source, raw, "must be an address or host name");
  // Accept the bracketed form users copy from URLs: [::1]
  return value.startsWith("[") && value.endsWith("]") ? value.slice(1, -1) : value;
}

/** A positive number of seconds, decimals allowed (e.g. 0.5). */
export function parseSeconds(source: string, raw: string, min: number, max: number): number {
  const trimmed = raw.trim();
  const value = /^\d+(\.\d+)?$/.test(trimmed) ? Number(trimmed) : Number.NaN;
  if (!Number.isFinite(value) || value < min || value > max) {
    throw configError(source, raw, `must be a number of seconds from ${min} to ${max}`);
  }
  return value;
}
