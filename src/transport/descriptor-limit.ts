/**
 * The process's file-descriptor limit, read from /proc/self/limits. Node does
 * not say when accept() fails with EMFILE: libuv closes the excess
 * connections itself (its reserve-descriptor trick) and reports nothing, so
 * clients are reset and the log stays silent. Knowing the limit lets a
 * listener keep its connection limit below it and refuse (counted, logged)
 * instead, and say at start-up when the limit is too low.
 */

import { readdirSync, readFileSync } from "node:fs";

/** The soft limit on open files, or undefined where /proc cannot tell. */
export function openFileLimit(limitsText?: string): number | undefined {
  let text = limitsText;
  if (text === undefined) {
    try {
      text = readFileSync("/proc/self/limits", "latin1");
    } catch {
      return undefined;
    }
  }
  const match = /^Max open files\s+(\d+|unlimited)\s/m.exec(text);
  if (match === null || match[1] === "unlimited") return undefined;
  return Number(match[1]);
}

/** Descriptors open now, or undefined where /proc cannot tell. */
export function openDescriptors(): number | undefined {
  try {
    return readdirSync("/proc/self/fd").length - 1; // less the one readdir opened
  } catch {
    return undefined;
  }
}

/** Descriptors kept free for everything but client connections (logs, listeners, DNS, the reserve). */
export const DESCRIPTOR_HEADROOM = 32;
