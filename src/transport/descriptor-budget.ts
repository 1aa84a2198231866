/**
 * One budget of file descriptors for every client connection of a process,
 * whichever listener accepted it (line, TLS, daytime, RFC 868, metrics, and
 * any listener to come). Each listener used to get the whole room left under
 * the limit and compare only its own count, so together they could exceed it
 * and libuv then reset new clients silently (descriptor-limit.ts says how).
 * With one budget, the connection that does not fit is refused by the
 * listener, counted and logged, while a reserve stays free for what is not a
 * client: log files, the workers' IPC channel, DNS, a reopened log.
 */

import { descriptorBudgetShort } from "../logging/log-events.js";
import type { Logger } from "../logging/logger.js";
import { DESCRIPTOR_HEADROOM, openDescriptors, openFileLimit } from "./descriptor-limit.js";

export interface DescriptorReadings {
  /** The soft limit on open files, or undefined where it cannot be known. */
  limit(): number | undefined;
  /** Descriptors open now, or undefined where it cannot be known. */
  open(): number | undefined;
}

const PROC: DescriptorReadings = { limit: () => openFileLimit(), open: openDescriptors };

export class DescriptorBudget {
  /** Client connections that fit; Infinity until measured, or where nothing can tell. */
  room = Number.POSITIVE_INFINITY;
  /** Client connections holding a descriptor now. */
  inUse = 0;

  constructor(
    private readonly readings: DescriptorReadings = PROC,
    readonly reserve = DESCRIPTOR_HEADROOM,
  ) {}

  /**
   * Measure the room, once every listening socket is open: the limit less
   * what is open now and the reserve. Says at start-up (a warning, with the
   * remedy) when that is less than the listeners' limits together.
   */
  fit(wanted: number, logger: Logger): void {
    const limit = this.readings.limit();
    const open = this.readings.open();
    if (limit === undefined || open === undefined) return;
    this.room = Math.max(1, limit - (open - this.inUse) - this.reserve);
    if (this.room >= wanted) return;
    descriptorBudgetShort(logger, limit, this.room, wanted);
  }

  /** Take a descriptor for a new connection; false when none is left (refuse it). */
  take(): boolean {
    if (this.inUse >= this.room) return false;
    this.inUse++;
    return true;
  }

  /** A connection that took one has closed. */
  give(): void {
    if (this.inUse > 0) this.inUse--;
  }
}
