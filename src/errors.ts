/**
 * Every error the package raises for a reason a user can act on carries a
 * stable `code` (like ws's WS_ERR_* and fastify's FST_ERR_*), so callers and
 * the CLIs can tell them apart without matching message text.
 */

export type TimeServerErrorCode =
  | "TS_ERR_CONFIG" // a flag or environment variable has a bad value
  | "TS_ERR_LISTEN" // the address cannot be bound (taken, not local, no permission)
  | "TS_ERR_CONNECT" // the client cannot reach the server
  | "TS_ERR_STATE"; // a method was called at the wrong time (listen twice, ...)

export class TimeServerError extends Error {
  constructor(
    readonly code: TimeServerErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "TimeServerError";
  }
}

const ERRNO_TEXT: Record<string, string> = {
  EADDRINUSE: "address already in use",
  EADDRNOTAVAIL: "address not available on this machine",
  EACCES: "permission denied",
  ECONNREFUSED: "connection refused",
  ECONNRESET: "connection reset by peer",
  EHOSTUNREACH: "host unreachable",
  ENETUNREACH: "network unreachable",
  ENOTFOUND: "host name not found",
  EAI_AGAIN: "host name lookup failed",
  ETIMEDOUT: "timed out",
  EPIPE: "broken pipe",
};

/** A short human phrase for a system error ("address already in use"), else its message. */
export function describeSystemError(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== undefined && ERRNO_TEXT[code] !== undefined) return ERRNO_TEXT[code];
    return error.message;
  }
  return String(error);
}

/** `host:port`, with IPv6 hosts in brackets as in URLs. */
export function formatHostPort(host: string, port: number): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}

/** The one-line error a bad option value gets: `invalid --port "x": must be ...`. */
export function configError(source: string, raw: string, expected: string): TimeServerError {
  return new TimeServerError(
    "TS_ERR_CONFIG",
    `invalid ${source} ${JSON.stringify(raw)}: ${expected}`,
  );
}
