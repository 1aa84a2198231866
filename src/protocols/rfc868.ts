/**
 * RFC 868 Time Protocol: the reply is 4 bytes, big-endian, the whole seconds
 * since 1900-01-01T00:00:00Z. The field is 32 bits, so it wraps to 0 at
 * 2036-02-07T06:28:16Z; the server keeps sending the low 32 bits and the
 * reader puts the value back in the era nearest a time it already knows
 * (RFC 4330 §3's rule).
 */

import { NTP_UNIX_OFFSET_SECONDS } from "./ntp-timestamp.js";

const ERA_SECONDS = 2 ** 32;

/** Length of every RFC 868 reply. */
export const RFC868_REPLY_LENGTH = 4;

/** The 4-byte reply for the second that holds `epochMs`. */
export function encodeRfc868(epochMs: number): Buffer {
  const seconds = Math.floor(epochMs / 1000) + NTP_UNIX_OFFSET_SECONDS;
  const reply = Buffer.allocUnsafe(RFC868_REPLY_LENGTH);
  reply.writeUInt32BE(((seconds % ERA_SECONDS) + ERA_SECONDS) % ERA_SECONDS, 0);
  return reply;
}

/**
 * The Unix time in milliseconds (a whole second) that a 4-byte reply stands
 * for, in the era that puts it nearest `pivotEpochMs` (a client's own clock
 * is a good pivot: it only has to be right to within 68 years).
 * Throws RangeError unless `bytes` is exactly 4 bytes long.
 */
export function decodeRfc868(bytes: Uint8Array, pivotEpochMs: number): number {
  if (bytes.length !== RFC868_REPLY_LENGTH)
    throw new RangeError(`an RFC 868 reply is 4 bytes, not ${bytes.length}`);
  const wire = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(0);
  const unixSeconds = wire - NTP_UNIX_OFFSET_SECONDS;
  const pivotSeconds = Math.floor(pivotEpochMs / 1000);
  const era = Math.round((pivotSeconds - unixSeconds) / ERA_SECONDS);
  return (unixSeconds + era * ERA_SECONDS) * 1000;
}
