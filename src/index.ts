/**
 * The package as a library: what the README's "As a library" section
 * documents, and nothing internal. The server (`createTimeServer`), its
 * logger, its errors and the types its options and events use, and the line
 * protocol's codecs (`TimeProtocol`, `encodeTimeReply`, `INVALID_COMMAND_REPLY`,
 * and the client side's `ReplyReader`).
 */

export type { Clock, Timer } from "./clock/clock.js";
export { TimeServerError, type TimeServerErrorCode } from "./errors.js";
export { createLogger, type LogFormat, type LoggerOptions } from "./logging/create-logger.js";
export type { LogLevel } from "./logging/levels.js";
export type { Logger } from "./logging/logger.js";
export { CounterRegistry, type MetricsSnapshot } from "./metrics/counters.js";
export * from "./protocols/line/index.js";
export { createTimeServer, TimeServer, type TimeServerOptions } from "./server/time-server.js";
export type { CloseReason } from "./transport/connection.js";
export type {
  ConnectionInfo,
  RefuseReason,
  TcpListenerEvents,
} from "./transport/tcp-listener.js";
