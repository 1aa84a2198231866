/**
 * What systemd tells a Type=notify service through its environment, read
 * with sd_notify(unset_environment=1) and sd_watchdog_enabled() semantics:
 * NOTIFY_SOCKET is where state changes go; WATCHDOG_USEC (for WATCHDOG_PID,
 * when set) is how often systemd wants to hear WATCHDOG=1. Pure: no I/O.
 */

export interface NotifyEnvironment {
  /** The notify socket's path ("/run/systemd/notify") or abstract name ("@..."). */
  socket: string;
  /** The watchdog's timeout in microseconds, when systemd runs one for this process. */
  watchdogUsec?: number;
}

/**
 * The notify socket and watchdog meant for process `pid`, or undefined when
 * there is no socket. The variables are removed from `env` whatever the
 * outcome, so workers and other children never send as if they were the
 * service's main process.
 */
export function notifyEnvironment(
  env: NodeJS.ProcessEnv,
  pid: number,
): NotifyEnvironment | undefined {
  const socket = env.NOTIFY_SOCKET;
  const usec = env.WATCHDOG_USEC;
  const watchdogPid = env.WATCHDOG_PID;
  delete env.NOTIFY_SOCKET;
  delete env.WATCHDOG_USEC;
  delete env.WATCHDOG_PID;
  // Only absolute paths and abstract names, as libsystemd accepts.
  if (socket === undefined || !/^[/@]./.test(socket)) return undefined;
  const forUs = watchdogPid === undefined || watchdogPid === "" || watchdogPid === String(pid);
  const watchdogUsec =
    usec !== undefined && /^[1-9][0-9]{0,15}$/.test(usec) ? Number(usec) : undefined;
  return forUs && watchdogUsec !== undefined ? { socket, watchdogUsec } : { socket };
}

/**
 * How often to send WATCHDOG=1: every half of the timeout, as sd_watchdog_enabled(3)
 * recommends, so one late turn of the event loop is not yet a restart.
 */
export function watchdogIntervalMs(watchdogUsec: number): number {
  return Math.max(1, Math.floor(watchdogUsec / 2000));
}

/**
 * RELOADING=1 with the CLOCK_MONOTONIC time in microseconds, which
 * Type=notify-reload (systemd 253+) needs to tell this reload from an older one.
 * `monotonicNs` is process.hrtime.bigint(), which libuv reads from CLOCK_MONOTONIC.
 */
export function reloadingAssignments(monotonicNs: bigint): string[] {
  return ["RELOADING=1", `MONOTONIC_USEC=${monotonicNs / 1000n}`];
}
