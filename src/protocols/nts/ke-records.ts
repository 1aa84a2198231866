/**
 * NTS Key Establishment records (RFC 8915 §4), sans I/O: bytes of the TLS
 * stream in, a request or a protocol error out; a negotiated answer in, the
 * response's bytes out. Also the client side's decoder, for tests and the
 * bench.
 *
 * A record is a critical bit, a 15-bit type, a 16-bit body length and the
 * body. A request ends with End of Message; one that is still unfinished
 * after MAX_REQUEST_BYTES bytes is a Bad Request (clients send a few dozen
 * bytes; the bound keeps a peer from making the server buffer more), and the
 * caller's deadline covers one that never ends.
 */

export const RecordType = {
  END_OF_MESSAGE: 0,
  NEXT_PROTOCOL: 1,
  ERROR: 2,
  WARNING: 3,
  AEAD_ALGORITHM: 4,
  NEW_COOKIE: 5,
  NTPV4_SERVER: 6,
  NTPV4_PORT: 7,
} as const;

export const KeErrorCode = {
  UNRECOGNIZED_CRITICAL_RECORD: 0,
  BAD_REQUEST: 1,
  INTERNAL_SERVER_ERROR: 2,
} as const;

/** The NTS Next Protocol ID of NTPv4. */
export const NEXT_PROTOCOL_NTPV4 = 0;
/** The ALPN protocol ID an NTS-KE connection must negotiate. */
export const NTS_KE_ALPN = "ntske/1";
/** The TLS exporter label of RFC 8915 §5.1. */
export const NTS_EXPORTER_LABEL = "EXPORTER-network-time-security";

/** The most a request may be, End of Message included. */
export const MAX_REQUEST_BYTES = 1024;

const HEADER = 4;

export interface KeRecord {
  readonly critical: boolean;
  readonly type: number;
  readonly body: Buffer;
}

/** What a well-formed request asked for, in the client's order of preference. */
export interface KeRequest {
  readonly kind: "request";
  readonly protocols: readonly number[];
  readonly aeads: readonly number[];
}

export interface KeRequestError {
  readonly kind: "error";
  readonly code: number;
  /** For the log. */
  readonly detail: string;
}

export type KeReadResult = { readonly kind: "incomplete" } | KeRequest | KeRequestError;

const INCOMPLETE: KeReadResult = Object.freeze({ kind: "incomplete" });

function requestError(code: number, detail: string): KeRequestError {
  return { kind: "error", code, detail };
}

/**
 * Reads one request from the stream. `push` each chunk; once it returns a
 * request or an error, the exchange is over (bytes after End of Message are
 * ignored, as nothing may follow it).
 */
export class KeRequestReader {
  private buffered: Buffer = Buffer.alloc(0);
  private readonly records: KeRecord[] = [];
  private done = false;
  private consumedTotal = 0;

  constructor(private readonly maxBytes = MAX_REQUEST_BYTES) {}

  push(chunk: Uint8Array): KeReadResult {
    if (this.done) return INCOMPLETE;
    this.buffered =
      this.buffered.length === 0 ? Buffer.from(chunk) : Buffer.concat([this.buffered, chunk]);
    let offset = 0;
    let result: KeReadResult = INCOMPLETE;
    while (this.buffered.length - offset >= HEADER) {
      const bodyLength = this.buffered.readUInt16BE(offset + 2);
      if (this.buffered.length - offset < HEADER + bodyLength) break;
      const word = this.buffered.readUInt16BE(offset);
      const record: KeRecord = {
        critical: (word & 0x8000) !== 0,
        type: word & 0x7fff,
        body: this.buffered.subarray(offset + HEADER, offset + HEADER + bodyLength),
      };
      offset += HEADER + bodyLength;
      if (record.type === RecordType.END_OF_MESSAGE) {
        result = interpretRequest(this.records);
        break;
      }
      this.records.push(record);
    }
    this.consumedTotal += offset;
    this.buffered = this.buffered.subarray(offset);
    if (result.kind !== "incomplete") {
      this.done = true;
      return result;
    }
    if (this.consumedTotal + this.buffered.length > this.maxBytes) {
      this.done = true;
      return requestError(
        KeErrorCode.BAD_REQUEST,
        `no End of Message within ${this.maxBytes} bytes`,
      );
    }
    return INCOMPLETE;
  }
}

/** RFC 8915 §4.1's rules for a client's records, End of Message excluded. */
export function interpretRequest(records: readonly KeRecord[]): KeRequest | KeRequestError {
  let protocols: number[] | undefined;
  let aeads: number[] | undefined;
  for (const record of records) {
    switch (record.type) {
      case RecordType.NEXT_PROTOCOL:
        if (protocols !== undefined)
          return requestError(KeErrorCode.BAD_REQUEST, "more than one Next Protocol record");
        if (!record.critical)
          return requestError(
            KeErrorCode.BAD_REQUEST,
            "a Next Protocol record without the critical bit",
          );
        protocols = readUint16List(record.body);
        if (protocols === undefined)
          return requestError(KeErrorCode.BAD_REQUEST, "a Next Protocol record of odd length");
        break;
      case RecordType.AEAD_ALGORITHM:
        if (aeads !== undefined)
          return requestError(KeErrorCode.BAD_REQUEST, "more than one AEAD Algorithm record");
        aeads = readUint16List(record.body);
        if (aeads === undefined)
          return requestError(KeErrorCode.BAD_REQUEST, "an AEAD Algorithm record of odd length");
        break;
      case RecordType.ERROR:
      case RecordType.WARNING:
        // Only servers send these (§4.1.3, §4.1.4).
        return requestError(KeErrorCode.BAD_REQUEST, "an Error or Warning record from a client");
      case RecordType.NEW_COOKIE:
      case RecordType.NTPV4_SERVER:
      case RecordType.NTPV4_PORT:
        // A client's preferred server and port are suggestions the server may
        // ignore (§4.1.7, §4.1.8); a cookie from a client means nothing here.
        break;
      default:
        if (record.critical)
          return requestError(
            KeErrorCode.UNRECOGNIZED_CRITICAL_RECORD,
            `an unrecognised critical record of type ${record.type}`,
          );
    }
  }
  if (protocols === undefined)
    return requestError(KeErrorCode.BAD_REQUEST, "no Next Protocol record");
  if (protocols.includes(NEXT_PROTOCOL_NTPV4) && aeads === undefined)
    return requestError(KeErrorCode.BAD_REQUEST, "no AEAD Algorithm record");
  return { kind: "request", protocols, aeads: aeads ?? [] };
}

function readUint16List(body: Buffer): number[] | undefined {
  if (body.length % 2 !== 0) return undefined;
  const values: number[] = [];
  for (let i = 0; i < body.length; i += 2) values.push(body.readUInt16BE(i));
  return values;
}

/** What the server agreed to; a protocol or AEAD of undefined means none in common. */
export interface KeAgreement {
  readonly protocol: number | undefined;
  readonly aead: number | undefined;
}

/** The first of the client's choices the server supports, for each of the two (§4.1.2, §4.1.5). */
export function negotiate(
  request: KeRequest,
  protocols: readonly number[],
  aeads: readonly number[],
): KeAgreement {
  const protocol = request.protocols.find((p) => protocols.includes(p));
  const aead = protocol === undefined ? undefined : request.aeads.find((a) => aeads.includes(a));
  return { protocol, aead };
}

export function encodeRecord(type: number, body: Uint8Array, critical: boolean): Buffer {
  if (body.length > 0xffff)
    throw new RangeError(`a record body is at most 65535 bytes, not ${body.length}`);
  const record = Buffer.allocUnsafe(HEADER + body.length);
  record.writeUInt16BE((critical ? 0x8000 : 0) | type, 0);
  record.writeUInt16BE(body.length, 2);
  record.set(body, HEADER);
  return record;
}

function uint16(value: number): Buffer {
  const body = Buffer.allocUnsafe(2);
  body.writeUInt16BE(value, 0);
  return body;
}

const END_OF_MESSAGE = encodeRecord(RecordType.END_OF_MESSAGE, new Uint8Array(0), true);

/** An Error response: the error and End of Message, nothing else (§4.1.3). */
export function encodeErrorResponse(code: number): Buffer {
  return Buffer.concat([encodeRecord(RecordType.ERROR, uint16(code), true), END_OF_MESSAGE]);
}

export interface KeResponse {
  readonly agreement: KeAgreement;
  /** Cookies for NTPv4; sent only when both a protocol and an AEAD were agreed. */
  readonly cookies: readonly Uint8Array[];
  /** Where to send NTP datagrams, when not to the key exchange's own host. */
  readonly server?: string;
  /** The NTP port, when not 123. */
  readonly port?: number;
}

/**
 * A successful exchange's response. With no protocol in common the Next
 * Protocol record is empty; with a protocol but no AEAD in common the AEAD
 * record is empty and there are no cookies (§4.1.2, §4.1.5).
 */
export function encodeResponse(response: KeResponse): Buffer {
  const { protocol, aead } = response.agreement;
  const parts: Buffer[] = [
    encodeRecord(
      RecordType.NEXT_PROTOCOL,
      protocol === undefined ? new Uint8Array(0) : uint16(protocol),
      true,
    ),
  ];
  if (protocol !== undefined) {
    parts.push(
      encodeRecord(
        RecordType.AEAD_ALGORITHM,
        aead === undefined ? new Uint8Array(0) : uint16(aead),
        true,
      ),
    );
    if (aead !== undefined) {
      if (response.server !== undefined)
        parts.push(
          encodeRecord(RecordType.NTPV4_SERVER, Buffer.from(response.server, "ascii"), true),
        );
      if (response.port !== undefined)
        parts.push(encodeRecord(RecordType.NTPV4_PORT, uint16(response.port), true));
      for (const cookie of response.cookies)
        parts.push(encodeRecord(RecordType.NEW_COOKIE, cookie, false));
    }
  }
  parts.push(END_OF_MESSAGE);
  return Buffer.concat(parts);
}

/** Splits a whole message into records; undefined when a record runs past the end. For clients and tests. */
export function decodeRecords(bytes: Uint8Array): KeRecord[] | undefined {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const records: KeRecord[] = [];
  let offset = 0;
  while (offset < buffer.length) {
    if (buffer.length - offset < HEADER) return undefined;
    const word = buffer.readUInt16BE(offset);
    const length = buffer.readUInt16BE(offset + 2);
    if (buffer.length - offset - HEADER < length) return undefined;
    records.push({
      critical: (word & 0x8000) !== 0,
      type: word & 0x7fff,
      body: buffer.subarray(offset + HEADER, offset + HEADER + length),
    });
    offset += HEADER + length;
  }
  return records;
}

/** A client's request for NTPv4 with the given AEADs, in order of preference. For clients and tests. */
export function encodeRequest(aeads: readonly number[]): Buffer {
  const aeadBody = Buffer.alloc(aeads.length * 2);
  for (let i = 0; i < aeads.length; i++) aeadBody.writeUInt16BE(aeads[i] as number, i * 2);
  return Buffer.concat([
    encodeRecord(RecordType.NEXT_PROTOCOL, uint16(NEXT_PROTOCOL_NTPV4), true),
    encodeRecord(RecordType.AEAD_ALGORITHM, aeadBody, true),
    END_OF_MESSAGE,
  ]);
}
