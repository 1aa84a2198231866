/**
 * Reply bytes: everything the server ever writes for the line protocol is
 * built here, and the byte-exact test of a time reply that clients and the
 * benchmark judge it by lives next to the encoder, so the two cannot drift.
 */

/** Sent for any line that is not exactly `TIME\r\n` or `QUIT\r\n`, and for an over-long line. */
export const INVALID_COMMAND_REPLY: Buffer = Buffer.from("Invalid command\r\n", "latin1");

/** `JAM hh:mm:ss\r\n` is always this many bytes. */
export const TIME_REPLY_LENGTH = 14;

const TIME_OF_DAY = /^([01]\d|2[0-3]):[0-5]\d:[0-5]\d$/;

/**
 * `JAM hh:mm:ss\r\n`. Takes the already formatted time of day because the clock
 * (and its zone) is the caller's business, not the protocol's.
 */
export function encodeTimeReply(timeOfDay: string): Buffer {
  if (!TIME_OF_DAY.test(timeOfDay)) {
    throw new RangeError(`not a 24-hour hh:mm:ss time of day: ${JSON.stringify(timeOfDay)}`);
  }
  return Buffer.from(`JAM ${timeOfDay}\r\n`, "latin1");
}

const ZERO = 0x30;

/** A digit from 0 to `max`; also false past the end of the bytes (undefined). */
function isDigitUpTo(byte: number | undefined, max: number): boolean {
  return byte !== undefined && byte >= ZERO && byte <= ZERO + max;
}

/**
 * True when the 14 bytes at `at` are exactly `JAM hh:mm:ss\r\n` with hh 00-23
 * and mm, ss 00-59; false when fewer than 14 bytes are there. No allocation:
 * the benchmark calls this for every reply.
 */
export function isTimeReplyAt(bytes: Uint8Array, at: number): boolean {
  if (
    bytes[at] !== 0x4a /* J */ ||
    bytes[at + 1] !== 0x41 /* A */ ||
    bytes[at + 2] !== 0x4d /* M */ ||
    bytes[at + 3] !== 0x20 /* space */ ||
    bytes[at + 6] !== 0x3a /* : */ ||
    bytes[at + 9] !== 0x3a /* : */ ||
    bytes[at + 12] !== 0x0d /* CR */ ||
    bytes[at + 13] !== 0x0a /* LF */
  ) {
    return false;
  }
  const h1 = bytes[at + 4];
  return (
    isDigitUpTo(h1, 2) &&
    isDigitUpTo(bytes[at + 5], h1 === 0x32 /* 2 */ ? 3 : 9) &&
    isDigitUpTo(bytes[at + 7], 5) &&
    isDigitUpTo(bytes[at + 8], 9) &&
    isDigitUpTo(bytes[at + 10], 5) &&
    isDigitUpTo(bytes[at + 11], 9)
  );
}

/** True when the bytes at `at` are exactly `Invalid command\r\n`. */
export function isInvalidCommandReplyAt(bytes: Uint8Array, at: number): boolean {
  const length = INVALID_COMMAND_REPLY.length;
  if (at < 0 || bytes.length - at < length) return false;
  for (let i = 0; i < length; i++) {
    if (bytes[at + i] !== INVALID_COMMAND_REPLY[i]) return false;
  }
  return true;
}
