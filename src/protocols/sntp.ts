/**
 * SNTPv4 server side (RFC 4330; server mode of RFC 5905), sans I/O: a
 * datagram in, a request or a counted rejection out; a request and the
 * server's state in, the 48-byte reply out. Only a client request (mode 3,
 * version 1–4, at least 48 bytes) is ever answered, and never with more
 * bytes than it had: control (6), private (7, monlist) and every other mode
 * get nothing, so the server cannot be used as an amplifier.
 */

import {
  type EpochNs,
  isZeroNtpTimestamp,
  type NtpInstant,
  ntpShort,
  readNtpTimestamp,
  writeNtpTimestamp,
  writeNtpTimestampParts,
} from "./ntp-timestamp.js";

/** Length of the NTP header, of every reply, and the least a request may be. */
export const SNTP_PACKET_LENGTH = 48;

export const SNTP_MODE_CLIENT = 3;
export const SNTP_MODE_SERVER = 4;

/** A client request worth answering. */
export interface SntpRequest {
  readonly kind: "request";
  /** 1–4; the reply carries the same version. */
  readonly version: number;
  /** The client's poll exponent (signed), copied into the reply. */
  readonly poll: number;
  /** Bytes in the datagram (48 or more: extension fields and MACs are ignored). */
  readonly length: number;
  /**
   * The request's transmit timestamp, bytes 40–47, as a view into the
   * datagram: copied byte for byte into the reply's originate field, which is
   * how the client matches the reply to its request.
   */
  readonly transmitTimestamp: Uint8Array;
}

/** Why a datagram gets no reply; `reason` is the counter to bump. */
export type SntpRejection =
  | { readonly kind: "rejected"; readonly reason: "short"; readonly length: number }
  | { readonly kind: "rejected"; readonly reason: "mode"; readonly mode: number }
  | { readonly kind: "rejected"; readonly reason: "version"; readonly version: number };

/** What the server says about itself and when it received and sent. */
export interface SntpReplyFields {
  /** Leap indicator: 0 none (the default), 1 +1 s, 2 −1 s, 3 unsynchronised. */
  leap?: 0 | 1 | 2 | 3;
  /** 1 primary, 2–15 secondary, 16 unsynchronised. */
  stratum: number;
  /** log2 of the clock's precision in seconds, e.g. −20 for about 1 µs. */
  precision: number;
  /** Round-trip delay to the reference clock, seconds. */
  rootDelay: number;
  /** Total dispersion to the reference clock, seconds. */
  rootDispersion: number;
  /** Up to 4 ASCII characters (e.g. `LOCL`, zero-padded) or exactly 4 bytes (an IPv4 address). */
  referenceId: string | Uint8Array;
  /** When the clock was last set or corrected; null writes the zero ("unknown") timestamp. */
  referenceTime: EpochNs | NtpInstant | null;
  /** When the request arrived. */
  receiveTime: EpochNs | NtpInstant;
  /** When the reply leaves: read the clock as late as possible. */
  transmitTime: EpochNs | NtpInstant;
}

/** A decoded NTP header, for clients, tests and the bench. */
export interface SntpPacket {
  leap: number;
  version: number;
  mode: number;
  stratum: number;
  poll: number;
  precision: number;
  /** Seconds. */
  rootDelay: number;
  /** Seconds. */
  rootDispersion: number;
  /** The 4 bytes of the reference ID. */
  referenceId: Buffer;
  /** The reference ID as text when it is printable ASCII (a kiss code, `LOCL`), else undefined. */
  referenceIdText: string | undefined;
  /** Timestamps in the era RFC 4330 gives them (1968–2104); null when zero. */
  referenceTime: EpochNs | null;
  originateTime: EpochNs | null;
  receiveTime: EpochNs | null;
  transmitTime: EpochNs | null;
}

// Rejections are preallocated: a flood of junk costs no allocation.
const SHORT_EMPTY: SntpRejection = Object.freeze({ kind: "rejected", reason: "short", length: 0 });
const BAD_MODE: readonly SntpRejection[] = Array.from({ length: 8 }, (_, mode) =>
  Object.freeze({ kind: "rejected" as const, reason: "mode" as const, mode }),
);
const BAD_VERSION: readonly SntpRejection[] = Array.from({ length: 8 }, (_, version) =>
  Object.freeze({ kind: "rejected" as const, reason: "version" as const, version }),
);

/**
 * Classifies one datagram. Rejections are checked in this order, so that
 * control and private-mode probes (often shorter than 48 bytes) are counted
 * by their mode: empty → "short"; mode ≠ 3 → "mode"; version not 1–4 →
 * "version"; fewer than 48 bytes → "short". Never throws.
 */
export function parseSntpRequest(datagram: Uint8Array): SntpRequest | SntpRejection {
  const first = datagram[0];
  if (first === undefined) return SHORT_EMPTY;
  const mode = first & 0b111;
  if (mode !== SNTP_MODE_CLIENT) return BAD_MODE[mode] as SntpRejection;
  const version = (first >> 3) & 0b111;
  if (version < 1 || version > 4) return BAD_VERSION[version] as SntpRejection;
  if (datagram.length < SNTP_PACKET_LENGTH)
    return { kind: "rejected", reason: "short", length: datagram.length };
  return {
    kind: "request",
    version,
    poll: ((datagram[2] ?? 0) << 24) >> 24,
    length: datagram.length,
    transmitTimestamp: datagram.subarray(40, 48),
  };
}

function lvm(leap: number, version: number, mode: number): number {
  return (leap << 6) | (version << 3) | mode;
}

function checkInt(name: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max)
    throw new RangeError(`${name} must be a whole number from ${min} to ${max}, not ${value}`);
}

/** For ≤ 4 ASCII characters a loop is several times cheaper than Buffer#write. */
function writeAscii(buf: Buffer, offset: number, text: string): void {
  for (let i = 0; i < text.length; i++) buf[offset + i] = text.charCodeAt(i);
}

function writeReferenceId(reply: Buffer, id: string | Uint8Array): void {
  if (typeof id === "string") {
    if (!/^[\x20-\x7e]{0,4}$/.test(id))
      throw new RangeError(`a reference ID is up to 4 ASCII characters, not ${JSON.stringify(id)}`);
    writeAscii(reply, 12, id); // the rest stays zero: left-justified, zero-padded
  } else {
    if (id.length !== 4) throw new RangeError(`a reference ID is 4 bytes, not ${id.length}`);
    reply.set(id, 12);
  }
}

/** The 48-byte server reply (mode 4) to `request`. */
export function encodeSntpReply(request: SntpRequest, fields: SntpReplyFields): Buffer {
  checkInt("stratum", fields.stratum, 0, 255);
  checkInt("precision", fields.precision, -128, 127);
  const reply = Buffer.alloc(SNTP_PACKET_LENGTH);
  reply[0] = lvm(fields.leap ?? 0, request.version, SNTP_MODE_SERVER);
  reply[1] = fields.stratum;
  reply.writeInt8(request.poll, 2);
  reply.writeInt8(fields.precision, 3);
  reply.writeUInt32BE(ntpShort(fields.rootDelay), 4);
  reply.writeUInt32BE(ntpShort(fields.rootDispersion), 8);
  writeReferenceId(reply, fields.referenceId);
  if (fields.referenceTime !== null) writeTime(reply, 16, fields.referenceTime);
  reply.set(request.transmitTimestamp, 24);
  writeTime(reply, 32, fields.receiveTime);
  writeTime(reply, 40, fields.transmitTime);
  return reply;
}

function writeTime(reply: Buffer, offset: number, time: EpochNs | NtpInstant): void {
  if (typeof time === "bigint") writeNtpTimestamp(reply, offset, time);
  else writeNtpTimestampParts(reply, offset, time.sec, time.nsec);
}

/** Where every reply (and Kiss-o'-Death) carries its transmit timestamp. */
export const SNTP_TRANSMIT_OFFSET = 40;

/**
 * A kiss-o'-death reply (RFC 5905 §7.4): LI 3 (unsynchronised), stratum 0,
 * the kiss code as reference ID, version and poll copied, originate = the
 * request's transmit timestamp. With `fields`, everything else is filled in as
 * for a normal reply, which is what chrony does (its KoD is a normal reply with
 * only LI, stratum and reference ID overridden), so a client that checks for a
 * non-zero transmit timestamp before reading the stratum still sees the kiss.
 * Without `fields` the other fields and timestamps are zero.
 */
export function encodeKissOfDeath(
  request: SntpRequest,
  code = "RATE",
  fields?: SntpReplyFields,
): Buffer {
  if (!/^[\x21-\x7e]{4}$/.test(code))
    throw new RangeError(`a kiss code is 4 ASCII letters, not ${JSON.stringify(code)}`);
  const reply =
    fields === undefined
      ? Buffer.alloc(SNTP_PACKET_LENGTH)
      : encodeSntpReply(request, { ...fields, leap: 3, stratum: 0, referenceId: code });
  if (fields === undefined) {
    reply.writeInt8(request.poll, 2);
    writeAscii(reply, 12, code);
    reply.set(request.transmitTimestamp, 24);
  }
  reply[0] = lvm(3, request.version, SNTP_MODE_SERVER);
  return reply;
}

function timestampAt(bytes: Uint8Array, offset: number): EpochNs | null {
  return isZeroNtpTimestamp(bytes, offset) ? null : readNtpTimestamp(bytes, offset);
}

/** Decodes the 48-byte header of any NTP packet. Throws RangeError when shorter. */
export function decodeSntpPacket(bytes: Uint8Array): SntpPacket {
  if (bytes.length < SNTP_PACKET_LENGTH)
    throw new RangeError(`an NTP packet is at least 48 bytes, not ${bytes.length}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const first = view.getUint8(0);
  const referenceId = Buffer.from(bytes.subarray(12, 16));
  const text = referenceId.toString("latin1").replace(/\0+$/, "");
  return {
    leap: first >> 6,
    version: (first >> 3) & 0b111,
    mode: first & 0b111,
    stratum: view.getUint8(1),
    poll: view.getInt8(2),
    precision: view.getInt8(3),
    rootDelay: view.getUint32(4) / 65536,
    rootDispersion: view.getUint32(8) / 65536,
    referenceId,
    referenceIdText: /^[\x20-\x7e]+$/.test(text) ? text : undefined,
    referenceTime: timestampAt(bytes, 16),
    originateTime: timestampAt(bytes, 24),
    receiveTime: timestampAt(bytes, 32),
    transmitTime: timestampAt(bytes, 40),
  };
}
