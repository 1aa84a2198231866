/**
 * What a session needs from the server that owns it. Kept narrow so that a
 * session can be driven by any listener (and by tests) without the whole server.
 */

import type { TimeReplyCache } from "../clock/time-reply-cache.js";
import type { Logger } from "../logging/logger.js";
import type { Session } from "./session.js";

export interface ServerStats {
  /** Connections accepted and served. */
  accepted: number;
  /** Connections closed at once because --max-connections was reached. */
  rejected: number;
  timeRequests: number;
  quitRequests: number;
  /** Invalid lines, over-long lines included. */
  invalidRequests: number;
}

export function emptyStats(): ServerStats {
  return { accepted: 0, rejected: 0, timeRequests: 0, quitRequests: 0, invalidRequests: 0 };
}

export interface SessionHost {
  readonly logger: Logger;
  readonly replies: TimeReplyCache;
  readonly maxLine: number;
  readonly stats: ServerStats;
  /** Milliseconds since the epoch, read for every TIME reply. */
  clock(): number;
  /** A cheap clock, advanced by the host's housekeeping timer; good to about a second. */
  readonly coarseNow: number;
  sessionPaused(session: Session): void;
  sessionClosed(session: Session): void;
}
