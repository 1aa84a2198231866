/**
 * The package as a library: the server, its protocol core and the pieces a
 * caller may want to reuse (logger, clock formatting).
 */

export { isKnownTimeZone, timeOfDayFormatter } from "./clock/time-of-day.js";
export { TimeReplyCache } from "./clock/time-reply-cache.js";
export { TimeServerError, type TimeServerErrorCode } from "./errors.js";
export { createLogger, type LogFormat, type LoggerOptions } from "./logging/create-logger.js";
export { LOG_LEVELS, type LogLevel } from "./logging/levels.js";
export { Logger, SILENT_LOGGER } from "./logging/logger.js";
export * from "./protocols/line/index.js";
export type { CloseReason } from "./server/session.js";
export type { ServerStats } from "./server/session-host.js";
export {
  type ConnectionInfo,
  createTimeServer,
  DEFAULTS,
  TimeServer,
  type TimeServerEvents,
  type TimeServerOptions,
} from "./server/time-server.js";
