/**
 * The SNTP service's view of the host clock, kept fresh: the kernel's state
 * (ntp_adjtime through the native module) read at most once a second, mapped
 * to header fields as chrony would (clock/served-clock.ts). What it finds is
 * logged once at start, and again whenever synchronisation or a leap
 * announcement changes. Without the module the state cannot be read: said so
 * at start, and replies say what `--local` says.
 */

import type { Clock } from "../clock/clock.js";
import { type KernelClockState, type ServedClock, servedClock } from "../clock/served-clock.js";
import { clockState } from "../logging/log-events.js";
import type { Logger } from "../logging/logger.js";
import { nativeBinding, nativeMissing } from "../transport/native-binding.js";

const REREAD_MS = 1000;

export interface KernelServedClockOptions {
  stratum: number;
  local: boolean;
  clock: Clock;
  logger: Logger;
  /** The kernel's state, or undefined when it cannot be read; default: the native module's ntp_adjtime. */
  read?: () => KernelClockState | undefined;
}

function readKernel(): KernelClockState | undefined {
  try {
    return nativeBinding()?.clockState();
  } catch {
    return undefined;
  }
}

export function kernelServedClock(options: KernelServedClockOptions): () => ServedClock {
  const { clock, logger } = options;
  const read = options.read ?? readKernel;
  const why = () => nativeMissing() ?? "ntp_adjtime failed";
  let kernel = read();
  let served = servedClock(kernel, options);
  let readAt = clock.monotonic();
  const report = () => clockState(logger, kernel, kernel === undefined ? why() : undefined, served);
  report();
  return () => {
    const now = clock.monotonic();
    if (now - readAt < REREAD_MS) return served;
    readAt = now;
    kernel = read();
    const next = servedClock(kernel, options);
    const changed = next.synchronised !== served.synchronised || next.leap !== served.leap;
    served = next;
    if (changed) report();
    return served;
  };
}
