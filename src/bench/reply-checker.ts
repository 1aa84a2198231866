/**
 * Splits a reply stream into lines and judges each one byte for byte: a good
 * reply is exactly `JAM hh:mm:ss\r\n` (14 bytes, a real 24-hour time).
 *
 * Replies have a fixed length, so the common case steps 14 bytes at a time and
 * checks a few bytes per reply; only a bad reply costs a native indexOf to find
 * where it ends. A reply cut across reads is carried in a 14-byte buffer of its
 * own, because the bytes given to `feed` are reused for the next read.
 */

export const REPLY_LENGTH = 14;

const LF = 0x0a;
const CR = 0x0d;
const SPACE = 0x20;
const COLON = 0x3a;
const ZERO = 0x30;

function isDigit(byte: number | undefined, max: number): boolean {
  return byte !== undefined && byte >= ZERO && byte <= ZERO + max;
}

/** True when the 14 bytes at `at` are `JAM hh:mm:ss\r\n` with hh ≤ 23, mm, ss ≤ 59. */
export function isTimeReply(bytes: Uint8Array, at: number): boolean {
  if (
    bytes[at] !== 0x4a /* J */ ||
    bytes[at + 1] !== 0x41 /* A */ ||
    bytes[at + 2] !== 0x4d /* M */ ||
    bytes[at + 3] !== SPACE ||
    bytes[at + 6] !== COLON ||
    bytes[at + 9] !== COLON ||
    bytes[at + 12] !== CR ||
    bytes[at + 13] !== LF
  ) {
    return false;
  }
  const h1 = bytes[at + 4];
  if (!isDigit(h1, 2) || !isDigit(bytes[at + 5], h1 === 0x32 ? 3 : 9)) return false;
  return (
    isDigit(bytes[at + 7], 5) &&
    isDigit(bytes[at + 8], 9) &&
    isDigit(bytes[at + 10], 5) &&
    isDigit(bytes[at + 11], 9)
  );
}

export class ReplyChecker {
  /** Bad replies seen so far (lines of the wrong length or content). */
  bad = 0;
  /** The start of a reply whose LF has not arrived (only its first 14 bytes are kept). */
  private readonly partial = new Uint8Array(REPLY_LENGTH);
  /** Bytes of that unfinished reply received so far; 0 when none. */
  private partialLength = 0;

  /** Bytes of an unfinished reply held back, waiting for the rest. */
  get pendingBytes(): number {
    return this.partialLength;
  }

  /**
   * Take `bytes[start, end)` and return how many replies (good and bad) they
   * completed; `bad` grows by the bad ones.
   */
  feed(bytes: Uint8Array, start: number, end: number): number {
    let at = start;
    let replies = 0;
    if (this.partialLength > 0) {
      at = this.finishPartial(bytes, start, end);
      if (at < 0) return 0;
      replies = 1;
    }
    while (at < end) {
      if (end - at >= REPLY_LENGTH && isTimeReply(bytes, at)) {
        at += REPLY_LENGTH;
        replies++;
        continue;
      }
      const lf = bytes.indexOf(LF, at);
      if (lf === -1 || lf >= end) {
        this.keepPartial(bytes, at, end);
        break;
      }
      // A complete line that is not a good reply (a good one was ruled out above
      // unless it is the short tail of the buffer, which has no LF in time).
      this.bad++;
      replies++;
      at = lf + 1;
    }
    return replies;
  }

  /** Complete the held reply; the index after its LF, or -1 if it is still open. */
  private finishPartial(bytes: Uint8Array, start: number, end: number): number {
    const lf = bytes.indexOf(LF, start);
    if (lf === -1 || lf >= end) {
      this.keepPartial(bytes, start, end);
      return -1;
    }
    const total = this.partialLength + (lf + 1 - start);
    if (total === REPLY_LENGTH) {
      this.partial.set(bytes.subarray(start, lf + 1), this.partialLength);
      if (!isTimeReply(this.partial, 0)) this.bad++;
    } else {
      this.bad++;
    }
    this.partialLength = 0;
    return lf + 1;
  }

  private keepPartial(bytes: Uint8Array, start: number, end: number): void {
    const room = REPLY_LENGTH - this.partialLength;
    if (room > 0) {
      this.partial.set(bytes.subarray(start, Math.min(end, start + room)), this.partialLength);
    }
    this.partialLength += end - start;
  }
}
