/**
 * Where a listener listens, as every message about it says it: `host:port`,
 * or the descriptor it inherited; and the one error a failed bind becomes.
 */

import { describeSystemError, formatHostPort, TimeServerError } from "../errors.js";

export function describeListenTarget(host: string, port: number, fd: number | undefined): string {
  return fd === undefined ? formatHostPort(host, port) : `inherited socket (fd ${fd})`;
}

/** `cannot listen on <where>: <why>`, with the system error as its cause. */
export function listenFailure(where: string, error: Error): TimeServerError {
  return new TimeServerError(
    "TS_ERR_LISTEN",
    `cannot listen on ${where}: ${describeSystemError(error)}`,
    {
      cause: error,
    },
  );
}
