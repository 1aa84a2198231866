/**
 * The LF / max-line framing both ends of the line protocol share (as h11's
 * _receivebuffer.py serves its client and its server): bytes in, complete
 * lines out, and nothing about what a line means.
 *
 * Rules kept here:
 * - a line ends in LF; the line is the bytes before it (a CR included);
 * - a line whose bytes before the LF exceed `maxLine` is too long, judged the
 *   same whether or not its LF has arrived, so chunking never changes the
 *   outcome;
 * - at most `maxLine` bytes of an unterminated line are held, in storage of
 *   the framing's own (a view would pin the whole chunk a socket read into),
 *   and every byte is searched for LF once however the stream is chunked (the
 *   held part is known to hold no LF, so it is never searched again).
 *
 * A subclass feeds bytes with `feed()` and takes lines with `advance()`; the
 * line found is `lineBuffer[lineStart, lineEnd)`, `lineEnd` the LF.
 */

const LF = 0x0a;
const EMPTY = Buffer.alloc(0);

/** What `advance()` found: nothing complete yet, a line, or a line over `maxLine`. */
export const NOTHING = 0;
export const LINE = 1;
export const TOO_LONG = 2;
export type Found = typeof NOTHING | typeof LINE | typeof TOO_LONG;

export interface FramingOptions {
  /**
   * Keep the held-line storage once a line held in it is complete, for the
   * next cut line (a benchmark reader, cut replies all the time), or let it
   * go so that a connection with no cut line holds nothing (a server with
   * many idle connections). A line in kept storage is overwritten by the
   * next cut line: copy it before feeding more.
   */
  keepStorage: boolean;
  /** First size of the held-line storage, when it is kept. */
  firstCapacity?: number;
}

export class LineFraming {
  readonly maxLine: number;
  /** Where `advance()` put the line it found: `lineBuffer[lineStart, lineEnd)`, lineEnd the LF. */
  protected lineBuffer: Buffer = EMPTY;
  protected lineStart = 0;
  protected lineEnd = 0;
  /** The chunk being read: bytes `[at, end)` are unread. A view of the caller's bytes. */
  protected chunk: Buffer = EMPTY;
  protected at = 0;
  protected end = 0;
  /** The start of an unterminated line (no LF in it), copied out of the caller's bytes. */
  private held: Buffer = EMPTY;
  protected heldLength = 0;
  private readonly keepStorage: boolean;
  private readonly firstCapacity: number;

  constructor(maxLine: number, options: FramingOptions) {
    this.maxLine = maxLine;
    this.keepStorage = options.keepStorage;
    this.firstCapacity = options.firstCapacity ?? 0;
  }

  /** Bytes received and not yet taken as lines. */
  get bufferedBytes(): number {
    return this.heldLength + (this.end - this.at);
  }

  /**
   * Take `bytes[start, end)`. The framing keeps a view of these bytes until
   * its lines are taken: a driver that reuses its read buffer must take them
   * (to NOTHING) before the next read; whatever is left then is copied, never
   * pinned.
   */
  protected feed(bytes: Buffer, start: number, end: number): void {
    if (this.at < this.end) {
      // Fed again before the lines were taken: keep the unread part in front.
      this.chunk = Buffer.concat([
        this.chunk.subarray(this.at, this.end),
        bytes.subarray(start, end),
      ]);
      this.at = 0;
      this.end = this.chunk.length;
      return;
    }
    // The common case: nothing unread, so the chunk is used in place, no copy.
    this.chunk = bytes;
    this.at = start;
    this.end = end;
  }

  /** Find the next complete line; when there is none, hold the unterminated rest as a copy. */
  protected advance(): Found {
    const chunk = this.chunk;
    const at = this.at;
    const end = this.end;
    let lf = at < end ? chunk.indexOf(LF, at) : -1;
    // A reused read buffer holds stale bytes past `end`: an LF there does not count.
    if (lf >= end) lf = -1;
    if (lf === -1) {
      if (this.heldLength + (end - at) > this.maxLine) return TOO_LONG;
      this.hold(chunk, at, end);
      this.chunk = EMPTY;
      this.at = 0;
      this.end = 0;
      return NOTHING;
    }
    if (this.heldLength + (lf - at) > this.maxLine) return TOO_LONG;
    this.at = lf + 1;
    if (this.heldLength === 0) {
      this.lineBuffer = chunk;
      this.lineStart = at;
      this.lineEnd = lf;
      return LINE;
    }
    // The line began in an earlier chunk: complete it in the held storage.
    this.hold(chunk, at, lf + 1);
    this.lineBuffer = this.held;
    this.lineStart = 0;
    this.lineEnd = this.heldLength - 1;
    this.heldLength = 0;
    if (!this.keepStorage) this.held = EMPTY;
    return LINE;
  }

  /** Forget every byte: the conversation is over. */
  protected clearFraming(): void {
    this.chunk = EMPTY;
    this.at = 0;
    this.end = 0;
    this.held = EMPTY;
    this.heldLength = 0;
    this.lineBuffer = EMPTY;
  }

  /** Append `bytes[start, end)` to the held line, growing its storage up to `maxLine + 1` bytes. */
  private hold(bytes: Buffer, start: number, end: number): void {
    const length = this.heldLength + (end - start);
    if (length === this.heldLength) return;
    if (length > this.held.length) {
      const capacity = Math.min(
        this.maxLine + 1,
        Math.max(length, this.firstCapacity, this.held.length * 2),
      );
      // Storage of its own (not Node's shared pool), so holding it pins nothing else.
      const grown = Buffer.allocUnsafeSlow(capacity);
      this.held.copy(grown, 0, 0, this.heldLength);
      this.held = grown;
    }
    bytes.copy(this.held, this.heldLength, start, end);
    this.heldLength = length;
  }
}
