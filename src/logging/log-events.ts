/**
 * Every line the request path logs, in one place: its level, its wording and
 * its fields, the way metrics/server-metrics.ts holds every metric name. The
 * listeners and services say which event happened and to whom; the words are
 * chosen here. Each function checks its level first, so a level that is off
 * costs a property read; a call site whose arguments cost something to make
 * checks the level before making them.
 *
 * The wording and the fields (names and order) are part of the contract: the
 * log tests and whoever reads the JSON lines depend on them.
 */

import { describeSystemError, formatHostPort } from "../errors.js";
import type { Logger } from "./logger.js";
import { oneLine, suppressedSuffix } from "./throttled-log.js";

/** The client a line is about (a policy Peer, seen structurally: logging sits below policy). */
export interface LoggedClient {
  readonly address: string;
  readonly port: number;
}

// ---------- listeners ----------

/** " (daytime)" for the standard protocols' listeners; nothing for the line protocol. */
export function listenerLabel(name: string): string {
  return name === "line" ? "" : ` (${name})`;
}

export function tcpListening(logger: Logger, name: string, address: string, port: number): void {
  logger.lifecycle("info", `Listening on ${formatHostPort(address, port)}${listenerLabel(name)}`, {
    event: "listening",
    protocol: name,
    address,
    port,
  });
}

export function udpListening(
  logger: Logger,
  name: string,
  address: string,
  port: number,
  backend: string,
): void {
  logger.lifecycle(
    "info",
    `Listening on ${formatHostPort(address, port)} (${name}, UDP, ${backend})`,
    {
      event: "listening",
      protocol: name,
      transport: "udp",
      backend,
      address,
      port,
    },
  );
}

export function connectionOpened(logger: Logger, name: string, client: LoggedClient): void {
  if (!logger.infoOn) return;
  logger.info(
    `Connection from ${formatHostPort(client.address, client.port)}${listenerLabel(name)}`,
    {
      event: "connection",
      protocol: name,
      remoteAddress: client.address,
      remotePort: client.port,
    },
  );
}

export function connectionClosed(logger: Logger, client: LoggedClient, reason: string): void {
  if (!logger.infoOn) return;
  logger.info(`Connection closed from ${formatHostPort(client.address, client.port)}`, {
    event: "disconnect",
    reason,
    remoteAddress: client.address,
    remotePort: client.port,
  });
}

export function idleTimeout(logger: Logger, client: LoggedClient): void {
  if (!logger.infoOn) return;
  logger.info(
    `Idle timeout: closing connection from ${formatHostPort(client.address, client.port)}`,
    {
      event: "idle-timeout",
      remoteAddress: client.address,
      remotePort: client.port,
    },
  );
}

export function backpressure(logger: Logger, client: LoggedClient): void {
  if (!logger.debugOn) return;
  logger.debug(
    `Client ${formatHostPort(client.address, client.port)} is not reading its replies; pausing its input`,
    { event: "backpressure", remoteAddress: client.address, remotePort: client.port },
  );
}

export function connectionError(
  logger: Logger,
  name: string,
  client: LoggedClient,
  error: Error,
): void {
  if (!logger.infoOn) return;
  const who = formatHostPort(client.address, client.port);
  const tls = tlsFailure(error);
  const message =
    tls === undefined
      ? `Connection error from ${who}: ${describeSystemError(error)}`
      : `TLS error from ${who}: ${tls}${listenerLabel(name)}`;
  logger.info(message, {
    event: "connection-error",
    remoteAddress: client.address,
    remotePort: client.port,
    code: (error as NodeJS.ErrnoException).code,
  });
}

/** Why a connection was refused, as the log line opens. */
function refusalText(reason: string, max: number): string {
  switch (reason) {
    case "limit":
      return `Connection limit of ${max} reached`;
    case "per-address-limit":
      return "Per-address connection limit reached";
    case "acl":
      return "Access denied";
    case "rate-limit":
      return "Rate limit exceeded";
    case "proxy-error":
      return "Bad or missing PROXY protocol header";
    case "handshake-limit":
      return "TLS handshake limit reached";
    case "descriptor-limit":
      return `Connection limit of ${max} reached across all listeners (file descriptors)`;
    default:
      return `Refused (${reason})`;
  }
}

/** The level a refusal is logged at: running out of room is a warning, a policy refusal news. */
export function refusalLevel(reason: string): "warn" | "info" {
  return reason === "limit" ||
    reason === "per-address-limit" ||
    reason === "handshake-limit" ||
    reason === "descriptor-limit"
    ? "warn"
    : "info";
}

/** A refused connection; the caller throttles (`suppressed` were left out since the last line). */
export function connectionRefused(
  logger: Logger,
  name: string,
  client: { remoteAddress: string; remotePort: number },
  reason: string,
  max: number,
  detail: string | undefined,
  suppressed: number,
): void {
  const level = refusalLevel(reason);
  const who = formatHostPort(client.remoteAddress, client.remotePort);
  const why = detail === undefined ? "" : ` (${detail})`;
  const message = `${refusalText(reason, max)}: refused ${who}${why}${listenerLabel(name)}${suppressedSuffix(suppressed, "refused")}`;
  logger[level](message, { event: "rejected", reason, ...client, suppressed });
}

export function descriptorLimit(
  logger: Logger,
  name: string,
  limit: number,
  room: number,
  configured: number,
): void {
  logger.lifecycle(
    "warn",
    `The file-descriptor limit (${limit}) leaves room for about ${room} connections${listenerLabel(name)}; ` +
      `serving at most ${room} instead of ${configured}. Raise the limit ` +
      "(ulimit -n, or LimitNOFILE= in a systemd unit) or lower --max-connections",
    { event: "descriptor-limit", limit, maxConnections: room },
  );
}

/** Serving one client threw (a bug its input found): that connection was closed; the caller throttles. */
export function internalError(
  logger: Logger,
  name: string,
  address: string | undefined,
  error: unknown,
  suppressed: number,
): void {
  logger.warn(
    `Closed a connection from ${address ?? "unknown"}${listenerLabel(name)}: serving it failed: ${oneLine(describeSystemError(error))}${suppressedSuffix(suppressed, "closed")}`,
    { event: "internal-error", remoteAddress: address, suppressed },
  );
}

/** A TLS handshake not done within its deadline: the connection was destroyed; the caller throttles. */
export function handshakeTimedOut(
  logger: Logger,
  name: string,
  client: LoggedClient,
  timeoutMs: number,
  suppressed: number,
): void {
  logger.info(
    `TLS handshake not done within ${timeoutMs / 1000} s: closed ${formatHostPort(client.address, client.port)}${listenerLabel(name)}${suppressedSuffix(suppressed, "closed")}`,
    {
      event: "handshake-timeout",
      remoteAddress: client.address,
      remotePort: client.port,
      suppressed,
    },
  );
}

/** A failed accept(); the caller throttles. */
export function acceptFailed(logger: Logger, error: Error): void {
  logger.error(`Accepting a connection failed: ${describeSystemError(error)}`, {
    event: "accept-error",
    code: (error as NodeJS.ErrnoException).code,
  });
}

/** A datagram that got no reply; the caller throttles. */
export function datagramDropped(
  logger: Logger,
  name: string,
  client: LoggedClient,
  reason: string,
  detail: string | undefined,
  suppressed: number,
  level: "info" | "warn" = "info",
): void {
  logger[level](
    `No reply to a ${name} datagram from ${formatHostPort(client.address, client.port)}: ${detail ?? reason}${suppressedSuffix(suppressed, "dropped")}`,
    {
      event: "dropped",
      protocol: name,
      reason,
      remoteAddress: client.address,
      suppressed,
    },
  );
}

/** A reply datagram the kernel would not send; the caller throttles. */
export function sendFailed(logger: Logger, name: string, error: Error): void {
  logger.warn(`Sending a ${name} reply failed: ${describeSystemError(error)}`, {
    event: "send-error",
    protocol: name,
  });
}

// ---------- the line protocol ----------

function lineFields(client: LoggedClient, event: string, command?: string, reply?: string) {
  return {
    event,
    command,
    reply,
    remoteAddress: client.address,
    remotePort: client.port,
  };
}

/** A TIME request and its reply (`JAM hh:mm:ss`): two lines. */
export function timeServed(logger: Logger, client: LoggedClient, reply: string): void {
  if (!logger.infoOn) return;
  logger.info(`Received: TIME from ${client.address}`, lineFields(client, "received", "TIME"));
  logger.info(`Sent: ${reply} to ${client.address}`, lineFields(client, "sent", undefined, reply));
}

/** `shown`: the line as escape-bytes.ts shows it. */
export function invalidCommand(logger: Logger, client: LoggedClient, shown: string): void {
  if (!logger.infoOn) return;
  logger.info(
    `Received invalid command "${shown}" from ${client.address}`,
    lineFields(client, "invalid-command", shown),
  );
}

export function quitReceived(logger: Logger, client: LoggedClient): void {
  if (!logger.infoOn) return;
  logger.info(`Received: QUIT from ${client.address}`, lineFields(client, "received", "QUIT"));
}

export function lineTooLong(logger: Logger, client: LoggedClient, maxLine: number): void {
  if (!logger.warnOn) return;
  logger.warn(
    `Line longer than ${maxLine} bytes from ${client.address}; closing the connection`,
    lineFields(client, "line-too-long"),
  );
}

export function peerFinished(logger: Logger, client: LoggedClient, droppedBytes: number): void {
  if (!logger.debugOn) return;
  logger.debug(
    `Client ${formatHostPort(client.address, client.port)} finished sending (${droppedBytes} unterminated bytes dropped)`,
    lineFields(client, "peer-finished"),
  );
}

// ---------- daytime, RFC 868, SNTP ----------

/** A request of a standard protocol (`request`: "DAYTIME", "RFC 868 TIME", "NTP") and its reply as shown. */
export function greetingServed(
  logger: Logger,
  protocol: string,
  client: LoggedClient,
  request: string,
  reply: string,
): void {
  if (!logger.infoOn) return;
  const fields = (event: string) => ({
    event,
    protocol,
    remoteAddress: client.address,
    remotePort: client.port,
  });
  logger.info(`Received: ${request} request from ${client.address}`, fields("received"));
  logger.info(`Sent: ${reply} to ${client.address}`, fields("sent"));
}

export function ntpReceived(logger: Logger, client: LoggedClient): void {
  if (!logger.infoOn) return;
  logger.info(`Received: NTP request from ${client.address}`, {
    event: "received",
    protocol: "ntp",
    remoteAddress: client.address,
    remotePort: client.port,
  });
}

export function ntpSent(logger: Logger, client: LoggedClient, stratum: number): void {
  if (!logger.infoOn) return;
  logger.info(`Sent: NTP reply (stratum ${stratum}) to ${client.address}`, {
    event: "sent",
    protocol: "ntp",
    remoteAddress: client.address,
    remotePort: client.port,
  });
}

export function kissOfDeathSent(logger: Logger, client: LoggedClient): void {
  if (!logger.debugOn) return;
  logger.debug(`Sent: NTP Kiss-o'-Death RATE to ${client.address}`, {
    event: "kod",
    protocol: "ntp",
    remoteAddress: client.address,
  });
}

/**
 * OpenSSL's short reason ("unsupported protocol", "wrong version number")
 * for a TLS error, else undefined. Its message is several lines of library
 * detail ending in a newline, which would break the one-line log.
 */
function tlsFailure(error: Error): string | undefined {
  const { code, reason } = error as NodeJS.ErrnoException & { reason?: unknown };
  if (typeof code !== "string" || !code.startsWith("ERR_SSL_")) return undefined;
  return typeof reason === "string" && reason !== "" ? reason : code;
}
