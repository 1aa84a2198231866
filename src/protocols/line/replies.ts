/**
 * Reply bytes. Everything the server ever writes for the seed protocol is built here.
 */

/** Sent for any line that is not exactly `TIME\r\n` or `QUIT\r\n`, and for an over-long line. */
export const INVALID_COMMAND_REPLY: Buffer = Buffer.from("Invalid command\r\n", "latin1");

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
