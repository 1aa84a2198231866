/**
 * Every line the server logs, in one place: its level, its wording and its
 * fields, the way metrics/server-metrics.ts holds every metric name. The
 * request path's lines (listeners, services) come first, then the process's
 * life (signals, reloads, shutdown, limits found at start, the clock's
 * state, the metrics endpoint, systemd) and the cluster's (workers, the
 * socket keeper). Callers say which event happened and to whom, in plain
 * values (this layer sits below all of theirs); the words are chosen here.
 * Each function checks its level first, so a level that is off costs a
 * property read; a call site whose arguments cost something to make checks
 * the level before making them. Lifecycle lines (`logger.lifecycle`) are
 * written at every level but silent and never dropped; the others are
 * ordinary lines. The log's own notices of lines it dropped are worded
 * here too, and written by the destination (destination.ts) in their place.
 *
 * The wording and the fields (names and order) are part of the contract: the
 * log tests, the integration tests' patterns and whoever reads the JSON lines
 * depend on them.
 */

import type { KernelClockState, ServedClock } from "../clock/served-clock.js";
import { describeSystemError, formatHostPort } from "../errors.js";
import type { LogFields, Logger } from "./logger.js";
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

/** Once at start, after the UDP thread's listeners (udp-thread.ts) are up. */
export function udpOnThread(logger: Logger): void {
  logger.lifecycle(
    "info",
    "UDP is served from a thread of its own (--udp-thread): datagrams never wait behind TCP work",
    { event: "udp-thread" },
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

/** An NTS-KE exchange answered (`result` "ok": with `cookies` cookies); `who` is `address:port`. */
export function ntsKeAnswered(
  logger: Logger,
  client: LoggedClient,
  who: string,
  result: string,
  cookies: number,
  detail: string | undefined,
): void {
  if (!logger.infoOn) return;
  logger.info(
    result === "ok"
      ? `Sent: NTS-KE response with ${cookies} cookies to ${who}`
      : `Sent: NTS-KE ${result} to ${who}${detail === undefined ? "" : `: ${detail}`}`,
    {
      event: "nts-ke",
      protocol: "nts-ke",
      result,
      remoteAddress: client.address,
      remotePort: client.port,
    },
  );
}

export function ntsNakSent(logger: Logger, client: LoggedClient): void {
  if (!logger.infoOn) return;
  logger.info(`Sent: NTS NAK to ${client.address} (a cookie that does not open)`, {
    event: "nts-nak",
    protocol: "ntp",
    remoteAddress: client.address,
  });
}

export function ntsReplySent(logger: Logger, client: LoggedClient, cookies: number): void {
  if (!logger.infoOn) return;
  logger.info(`Sent: NTS-authenticated NTP reply with ${cookies} cookies to ${client.address}`, {
    event: "sent",
    protocol: "ntp",
    nts: true,
    cookies,
    remoteAddress: client.address,
    remotePort: client.port,
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

// ---------- the process: signals, reloads, shutdown ----------

export const SIGUSR1_IGNORED =
  "Received SIGUSR1; ignored (the inspector is off; start with node --inspect to debug)";
export const SIGHUP_IGNORED = "Received SIGHUP; nothing to reload";

export function sigusr1Ignored(logger: Logger): void {
  if (!logger.warnOn) return;
  logger.warn(SIGUSR1_IGNORED, { event: "signal-ignored", signal: "SIGUSR1" });
}

export function sighupIgnored(logger: Logger): void {
  if (!logger.infoOn) return;
  logger.info(SIGHUP_IGNORED, { event: "signal-ignored", signal: "SIGHUP" });
}

export function reloading(logger: Logger): void {
  if (!logger.infoOn) return;
  logger.info("Received SIGHUP; reloading", { event: "reload", signal: "SIGHUP" });
}

export function nothingToReload(logger: Logger): void {
  logger.lifecycle("info", "Nothing to reload (no TLS listener)", { event: "reload" });
}

export function tlsCertificateReloaded(logger: Logger, certFile: string, keyFile: string): void {
  logger.lifecycle("info", `Reloaded the TLS certificate ${certFile} and key ${keyFile}`, {
    event: "reload",
  });
}

export function ntsSecretReloaded(logger: Logger, file: string): void {
  logger.lifecycle("info", `Reloaded the NTS secret ${file}`, { event: "reload" });
}

export function ntsKeCertificateReloaded(logger: Logger, certFile: string): void {
  logger.lifecycle("info", `Reloaded the NTS-KE certificate ${certFile}`, { event: "reload" });
}

/** A file SIGHUP could not load: the one in use stays. */
export function reloadFailed(
  logger: Logger,
  kept: "TLS certificate" | "NTS secret" | "NTS-KE certificate",
  error: unknown,
): void {
  logger.lifecycle(
    "warn",
    `Kept the old ${kept}: ${error instanceof Error ? error.message : String(error)}`,
    { event: "reload-failed" },
  );
}

/**
 * The first SIGTERM or SIGINT; with `workers`, the cluster's primary with
 * that many live workers.
 */
export function shuttingDown(logger: Logger, signal: string, workers?: number): void {
  logger.lifecycle(
    "info",
    `Received ${signal}; shutting down${workers === undefined ? "" : ` ${workers} workers`}`,
    { event: "shutdown", signal },
  );
}

/** A second signal: no grace period (a single process exits; the primary kills its workers). */
export function shutdownForced(logger: Logger, signal: string, cluster = false): void {
  logger.lifecycle(
    "warn",
    `Received ${signal} again; ${cluster ? "killing the workers" : "exiting at once"}`,
    { event: "shutdown-forced", signal },
  );
}

export function serverStopped(logger: Logger): void {
  logger.lifecycle("info", "Server stopped", { event: "stopped" });
}

// ---------- the process: limits found at start ----------

/** TLS connections held below --max-connections by the memory they would cost. */
export function tlsConnectionLimit(
  logger: Logger,
  maxConnections: number,
  memoryBytes: number,
  workers: number,
): void {
  logger.lifecycle(
    "info",
    `TLS connections limited to ${maxConnections} per process: what ${Math.round(memoryBytes / 2 ** 20)} MiB of memory holds` +
      (workers > 1 ? ` shared by ${workers} workers` : "") +
      " (set --tls-max-connections to choose)",
    { event: "tls-limit", maxConnections, memoryBytes },
  );
}

/** The process's descriptor budget is less than its listeners' limits together. */
export function descriptorBudgetShort(
  logger: Logger,
  limit: number,
  room: number,
  wanted: number,
): void {
  logger.lifecycle(
    "warn",
    `The file-descriptor limit (${limit}) leaves room for about ${room} connections across all listeners; ` +
      `serving at most ${room} instead of ${wanted}. Raise the limit ` +
      "(ulimit -n, or LimitNOFILE= in a systemd unit) or lower --max-connections",
    { event: "descriptor-limit", limit, maxConnections: room },
  );
}

/** More --workers than cores (the caller says it only then). */
export function workersOverCores(logger: Logger, workers: number, cores: number): void {
  if (!logger.warnOn) return;
  logger.warn(
    `Running ${workers} workers on ${cores} available CPU core${cores === 1 ? "" : "s"}: ` +
      "workers beyond one per core add memory and context switches, not throughput " +
      `(--workers auto starts ${cores})`,
    { event: "workers-over-cores", workers, cores },
  );
}

// ---------- the kernel clock, as SNTP replies show it ----------

/**
 * What the kernel says of its clock and what replies will say (at start, and
 * whenever synchronisation or a leap announcement changes): a warning when
 * replies say LI 3 (unsynchronised, not --local). `why`: why the state
 * cannot be read, when `kernel` is undefined.
 */
export function clockState(
  logger: Logger,
  kernel: KernelClockState | undefined,
  why: string | undefined,
  served: ServedClock,
): void {
  const level = served.leap === 3 ? "warn" : "info";
  if (!(level === "warn" ? logger.warnOn : logger.infoOn)) return;
  logger[level](describeServedClock(kernel, why, served), {
    event: "clock-state",
    synchronised: served.synchronised,
    leap: served.leap,
    stratum: served.stratum,
  });
}

function describeServedClock(
  kernel: KernelClockState | undefined,
  why: string | undefined,
  served: ServedClock,
): string {
  const says = `SNTP replies say LI ${served.leap}, stratum ${served.stratum}`;
  if (kernel === undefined)
    return `The kernel clock's state cannot be read (${why ?? "unknown"}): ${says}${served.leap === 3 ? " (--local serves anyway)" : " (--local)"}`;
  if (!served.synchronised && served.leap === 3)
    return `The kernel clock is not synchronised (ntp_adjtime status 0x${kernel.status.toString(16)}): ${says} until it is (--local serves anyway)`;
  if (!served.synchronised)
    return `The kernel clock is not synchronised (ntp_adjtime status 0x${kernel.status.toString(16)}): ${says} (--local)`;
  return `The kernel clock is synchronised (maximum error ${kernel.maxErrorUs} µs): ${says}`;
}

// ---------- the metrics endpoint ----------

export function metricsListening(logger: Logger, address: string, port: number): void {
  logger.lifecycle(
    "info",
    `Metrics on http://${formatHostPort(address, port)}/metrics (also /healthz, /readyz)`,
    { event: "listening", protocol: "metrics", address, port },
  );
}

/**
 * A scrape connection refused at the endpoint's own limit or the process's
 * descriptor budget (`max`: that limit); `who` is `address:port`. The caller
 * throttles.
 */
export function metricsRefused(
  logger: Logger,
  reason: "limit" | "descriptor-limit",
  max: number,
  who: string,
  suppressed: number,
): void {
  if (!logger.warnOn) return;
  logger.warn(
    `${refusalText(reason, max)}: refused ${who}${listenerLabel("metrics")}${suppressedSuffix(suppressed, "refused")}`,
    { event: "rejected", reason, protocol: "metrics", suppressed },
  );
}

// ---------- systemd ----------

/** systemd-notify could not be run at all (not installed): said once, then no more tries. */
export function notifyNotRun(logger: Logger, command: string, why: string): void {
  if (!logger.warnOn) return;
  logger.warn(`Cannot tell systemd the service state: ${command} did not run (${why})`, {
    event: "notify-failed",
    command,
  });
}

/** systemd-notify ran and failed; `stderr`: what it said, its lines and spaces run together. */
export function notifyFailed(
  logger: Logger,
  command: string,
  state: string | undefined,
  exitCode: number,
  stderr: string,
): void {
  if (!logger.warnOn) return;
  logger.warn(
    `${command} ${state} failed (exit code ${exitCode}): ${stderr.trim().replace(/\s+/g, " ") || "no message"}`,
    { event: "notify-failed", command, state },
  );
}

// ---------- the cluster (--workers) ----------
// A worker's pid is `workerPid`, not `pid`: JSON lines already carry the pid
// of the process that wrote them.

/** "1 connection", "2 connections". */
function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? "" : "s"}`;
}

/** The primary's listening line, once every worker listens. */
export function clusterListening(
  logger: Logger,
  address: string,
  port: number,
  workers: number,
): void {
  logger.lifecycle(
    "info",
    `Listening on ${formatHostPort(address, port)} with ${workers} workers`,
    {
      event: "listening",
      address,
      port,
      workers,
    },
  );
}

/** A worker forked: the first time (info), or again after one died (a warning). */
export function workerStarted(logger: Logger, id: number, pid: number, restarted: boolean): void {
  const fields = {
    event: restarted ? "worker-restarted" : "worker-started",
    workerId: id,
    workerPid: pid,
  };
  if (restarted) logger.lifecycle("warn", `Restarted worker ${id} (pid ${pid})`, fields);
  else logger.lifecycle("info", `Started worker ${id} (pid ${pid})`, fields);
}

/** A worker gone while the cluster stops, as it should; `exit`: "exit code 0", "signal SIGKILL". */
export function workerExited(logger: Logger, id: number, pid: number, exit: string): void {
  if (!logger.infoOn) return;
  logger.info(`Worker ${id} (pid ${pid}) exited (${exit})`, {
    event: "worker-exited",
    workerId: id,
    workerPid: pid,
    exit,
  });
}

export function workerDied(
  logger: Logger,
  id: number,
  pid: number,
  exit: string,
  restartInMs: number,
): void {
  if (!logger.warnOn) return;
  logger.warn(`Worker ${id} (pid ${pid}) died (${exit}); restarting it in ${restartInMs} ms`, {
    event: "worker-died",
    workerId: id,
    workerPid: pid,
    exit,
    restartInMs,
  });
}

export function workerKilled(logger: Logger, id: number, pid: number, timeoutMs: number): void {
  if (!logger.warnOn) return;
  logger.warn(`Worker ${id} (pid ${pid}) did not stop within ${timeoutMs} ms; killing it`, {
    event: "worker-killed",
    workerId: id,
    workerPid: pid,
  });
}

/** The socket keeper could not hold the listening sockets (`error`: its reason). */
export function keeperFailed(logger: Logger, error: string): void {
  if (!logger.warnOn) return;
  logger.warn(
    `The listening sockets will close whenever every worker is down: the socket keeper could not hold them (${error})`,
    { event: "keeper-failed" },
  );
}

/** At the cluster's end: what its workers served together. */
export function clusterTotals(
  logger: Logger,
  accepted: number,
  timeRequests: number,
  workers: number,
  restarts: number,
): void {
  const restarted = restarts > 0 ? ` (${count(restarts, "restart")})` : "";
  logger.lifecycle(
    "info",
    `Served ${count(accepted, "connection")} and ${count(timeRequests, "TIME request")} across ${workers} workers${restarted}`,
    { event: "totals", accepted, timeRequests, workers, restarts },
  );
}

/** A worker told to drain (or sent SIGTERM). */
export function draining(logger: Logger): void {
  logger.lifecycle("info", "Draining: no new connections; closing the open ones", {
    event: "drain",
  });
}

export function workerStopped(logger: Logger): void {
  logger.lifecycle("info", "Worker stopped", { event: "stopped" });
}

// ---------- the log itself ----------

/** A notice the destination writes itself, in the text or JSON form of its sink. */
export interface LogNotice {
  readonly message: string;
  readonly fields: LogFields;
}

/** In place of lines dropped because the output fell behind, at most once a second. */
export function logFallingBehind(dropped: number, seconds: number): LogNotice {
  return {
    message: `Log output is falling behind: dropped ${dropped} lines in the last ${seconds.toFixed(1)} s`,
    fields: { event: "log-dropped", dropped },
  };
}

/** At shutdown, when any line was dropped. */
export function logDroppedInAll(dropped: number): LogNotice {
  return {
    message: `Dropped ${dropped} log lines in all`,
    fields: { event: "log-dropped-total", dropped },
  };
}
