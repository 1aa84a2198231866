/**
 * Request bytes: what a client of the line protocol sends, built once here so
 * that no client, benchmark or test retypes `TIME\r\n`.
 */

/** The one request that is answered with the time. */
export const TIME_REQUEST_BYTES: Buffer = Buffer.from("TIME\r\n", "latin1");
/** Ends the conversation: the server sends nothing more and closes. */
export const QUIT_REQUEST_BYTES: Buffer = Buffer.from("QUIT\r\n", "latin1");

/**
 * Any text as one request line: UTF-8 with CRLF added. A line break inside
 * would turn one line into several, so it is refused rather than sent.
 */
export function encodeRequestLine(text: string): Buffer {
  if (text.includes("\n")) {
    throw new RangeError(`a request line cannot contain a line feed: ${JSON.stringify(text)}`);
  }
  return Buffer.from(`${text}\r\n`, "utf8");
}

/** `count` copies of `request` back to back, for one pipelined write. */
export function repeatRequest(request: Buffer, count: number): Buffer {
  if (!Number.isSafeInteger(count) || count < 0) {
    throw new RangeError(`count must be a non-negative integer, got ${count}`);
  }
  const all = Buffer.allocUnsafe(request.length * count);
  for (let i = 0; i < count; i++) request.copy(all, i * request.length);
  return all;
}
