/**
 * The package as a library: the server, its protocol core and the pieces a
 * caller may want to reuse (logger, clock formatting).
 */

export { type Clock, SYSTEM_CLOCK, type Timer } from "./clock/clock.js";
export { isKnownTimeZone, timeOfDayFormatter } from "./clock/time-of-day.js";
export { TimeReplyCache } from "./clock/time-reply-cache.js";
export { TimeServerError, type TimeServerErrorCode } from "./errors.js";
export { createLogger, type LogFormat, type LoggerOptions } from "./logging/create-logger.js";
export { LOG_LEVELS, type LogLevel } from "./logging/levels.js";
export { Logger, SILENT_LOGGER } from "./logging/logger.js";
export {
  CounterRegistry,
  type MetricsSnapshot,
  sumSnapshots,
  totalOf,
} from "./metrics/counters.js";
export * from "./protocols/line/index.js";
export {
  createTimeServer,
  DEFAULTS,
  TimeServer,
  type TimeServerOptions,
} from "./server/time-server.js";
export type { CloseReason } from "./transport/connection.js";
export type { ConnectionInfo, TcpListenerEvents } from "./transport/tcp-listener.js";
