/**
 * The PROXY protocol header (haproxy's doc/proxy-protocol.txt), versions 1
 * and 2, as a sans-I/O parser: bytes in, a verdict out, no socket or timer.
 *
 * Rules kept here:
 * - the two versions are told apart by their signatures ("PROXY " and the
 *   12-byte binary one); bytes that cannot begin either are an error at once,
 *   never a guess that no header was sent;
 * - `consumed` is exactly the header's length; nothing at or past it is read,
 *   so the caller hands every later byte to the protocol behind the proxy;
 * - what is waited for is capped: a v1 line ends (CRLF) within 107 bytes, a
 *   v2 header is 16 + its declared length bytes, and a declared length over
 *   `maxV2Length` (default 4096; addresses take at most 216, the rest is TLVs)
 *   is an error rather than a reason to buffer up to 64 KiB;
 * - an error is reported as soon as the bytes so far cannot begin a valid
 *   header, and any split of the same bytes gives the same outcome;
 * - v1 is strict: single spaces, dotted quads without leading zeros, IPv6 in
 *   text form without a zone, ports 0-65535 in decimal without leading zeros
 *   or signs; after UNKNOWN anything up to the CRLF is ignored, as specified;
 * - LOCAL (v2), UNKNOWN (v1) and the v2 UNSPEC and UNIX families carry no
 *   usable peer: `addresses` is null and the connection's own endpoints stand;
 * - v2 TLVs are skipped, not parsed.
 */

import { formatIPv4, formatIPv6, parseIPv4, parseIPv6 } from "../policy/ip-address.js";

export const PROXY_V1_MAX_LENGTH = 107;
export const PROXY_V2_FIXED_LENGTH = 16;
export const DEFAULT_MAX_V2_LENGTH = 4096;
export const PROXY_V2_SIGNATURE: Readonly<Buffer> = Buffer.from("0d0a0d0a000d0a515549540a", "hex");
const V1_SIGNATURE = Buffer.from("PROXY ", "latin1");

export interface ProxyAddresses {
  family: "ipv4" | "ipv6";
  transport: "tcp" | "udp";
  sourceAddress: string;
  sourcePort: number;
  destinationAddress: string;
  destinationPort: number;
}

export interface ProxyHeader {
  version: 1 | 2;
  command: "proxy" | "local";
  /** The proxied client's endpoints; null = use the connection's own (LOCAL, UNKNOWN, UNSPEC, UNIX). */
  addresses: ProxyAddresses | null;
}

export type ProxyParseResult =
  | { status: "need-more" }
  | { status: "error"; reason: string }
  | { status: "done"; header: ProxyHeader; consumed: number };

export interface ProxyHeaderOptions {
  /** Largest v2 length field accepted (bytes after the 16-byte fixed part); at most 65535. */
  maxV2Length?: number;
}

const NEED_MORE: ProxyParseResult = Object.freeze({ status: "need-more" });

function fail(reason: string): ProxyParseResult {
  return { status: "error", reason };
}

/**
 * Parse the header at the start of `buffered` (everything received so far).
 * Never throws, never reads past the header, never asks for more than the cap.
 */
export function parseProxyHeader(
  buffered: Uint8Array,
  options: ProxyHeaderOptions = {},
): ProxyParseResult {
  if (buffered.length === 0) return NEED_MORE;
  if (buffered[0] === PROXY_V2_SIGNATURE[0]) {
    return parseV2(buffered, options.maxV2Length ?? DEFAULT_MAX_V2_LENGTH);
  }
  return parseV1(buffered);
}

/** True when the bytes received so far agree with `signature` as far as they go. */
function matchesSoFar(buffered: Uint8Array, signature: Uint8Array): boolean {
  const n = Math.min(buffered.length, signature.length);
  for (let i = 0; i < n; i++) if (buffered[i] !== signature[i]) return false;
  return true;
}

// ---- version 2 -------------------------------------------------------------

function parseV2(buffered: Uint8Array, maxLength: number): ProxyParseResult {
  if (!matchesSoFar(buffered, PROXY_V2_SIGNATURE)) return fail("not a PROXY protocol header");
  const n = buffered.length;
  if (n <= 12) return NEED_MORE;
  const versionCommand = buffered[12] as number;
  if (versionCommand >> 4 !== 2) return fail(`unsupported PROXY v2 version ${versionCommand >> 4}`);
  const command = versionCommand & 0x0f;
  if (command > 1) return fail(`unknown PROXY v2 command ${command}`);
  if (n <= 13) return NEED_MORE;
  const familyProtocol = buffered[13] as number;
  const family = familyProtocol >> 4;
  const protocol = familyProtocol & 0x0f;
  if (family > 3) return fail(`unknown PROXY v2 address family ${family}`);
  if (protocol > 2) return fail(`unknown PROXY v2 transport protocol ${protocol}`);
  if (n < PROXY_V2_FIXED_LENGTH) return NEED_MORE;
  const length = ((buffered[14] as number) << 8) | (buffered[15] as number);
  if (length > maxLength) {
    return fail(`PROXY v2 header declares ${length} bytes, more than the ${maxLength} accepted`);
  }
  const total = PROXY_V2_FIXED_LENGTH + length;
  if (n < total) return NEED_MORE;
  if (command === 0) {
    // LOCAL: a health check from the proxy itself; the address block is skipped unread.
    return {
      status: "done",
      header: { version: 2, command: "local", addresses: null },
      consumed: total,
    };
  }
  let addresses: ProxyAddresses | null = null;
  if (family !== 0 && protocol !== 0) {
    const needed = family === 1 ? 12 : family === 2 ? 36 : 216;
    if (length < needed) {
      return fail(`PROXY v2 address block of ${length} bytes, ${needed} needed for its family`);
    }
    if (family !== 3) addresses = v2Addresses(buffered, family, protocol);
  }
  return { status: "done", header: { version: 2, command: "proxy", addresses }, consumed: total };
}

function v2Addresses(buffered: Uint8Array, family: number, protocol: number): ProxyAddresses {
  const view = new DataView(buffered.buffer, buffered.byteOffset, buffered.byteLength);
  const at = PROXY_V2_FIXED_LENGTH;
  const transport = protocol === 1 ? "tcp" : "udp";
  if (family === 1) {
    return {
      family: "ipv4",
      transport,
      sourceAddress: formatIPv4(view.getUint32(at)),
      destinationAddress: formatIPv4(view.getUint32(at + 4)),
      sourcePort: view.getUint16(at + 8),
      destinationPort: view.getUint16(at + 10),
    };
  }
  return {
    family: "ipv6",
    transport,
    sourceAddress: formatIPv6(read128(view, at)),
    destinationAddress: formatIPv6(read128(view, at + 16)),
    sourcePort: view.getUint16(at + 32),
    destinationPort: view.getUint16(at + 34),
  };
}

function read128(view: DataView, at: number): bigint {
  return (view.getBigUint64(at) << 64n) | view.getBigUint64(at + 8);
}

// ---- version 1 -------------------------------------------------------------

const CR = 0x0d;
const LF = 0x0a;
const V1_PROTOCOLS = ["TCP4", "TCP6", "UNKNOWN"] as const;
const V1_FIELD_CHARS = { TCP4: /^[0-9. ]*$/, TCP6: /^[0-9a-fA-F:. ]*$/ } as const;
const PORT = /^(0|[1-9][0-9]{0,4})$/;

function parseV1(buffered: Uint8Array): ProxyParseResult {
  if (!matchesSoFar(buffered, V1_SIGNATURE)) return fail("not a PROXY protocol header");
  const limit = Math.min(buffered.length, PROXY_V1_MAX_LENGTH);
  for (let i = V1_SIGNATURE.length; i < limit; i++) {
    const byte = buffered[i];
    if (byte === LF) {
      if (buffered[i - 1] !== CR) return fail("PROXY v1 line ends in LF without CR");
      return finishV1(latin1(buffered, i - 1), i + 1);
    }
    if (byte === CR && i + 1 < limit && buffered[i + 1] !== LF) {
      return fail("PROXY v1 line has a CR not followed by LF");
    }
  }
  if (buffered.length >= PROXY_V1_MAX_LENGTH) {
    return fail(`PROXY v1 line without CRLF in its first ${PROXY_V1_MAX_LENGTH} bytes`);
  }
  // Incomplete: report now if no ending could make these bytes a valid line.
  const partial = latin1(buffered, limit);
  if (partial.endsWith("\r")) {
    const verdict = finishV1(partial.slice(0, -1), limit + 1);
    return verdict.status === "error" ? verdict : NEED_MORE;
  }
  const reason = v1PrefixError(partial);
  return reason === undefined ? NEED_MORE : fail(reason);
}

function latin1(bytes: Uint8Array, end: number): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, end).toString("latin1");
}

/** Why no ending can make `partial` (no CR or LF in it) a valid v1 line, if so. */
function v1PrefixError(partial: string): string | undefined {
  const rest = partial.slice(V1_SIGNATURE.length);
  const space = rest.indexOf(" ");
  const word = space === -1 ? rest : rest.slice(0, space);
  if (space === -1) {
    return V1_PROTOCOLS.some((p) => p.startsWith(word)) ? undefined : "unknown PROXY v1 protocol";
  }
  if (word === "UNKNOWN") return undefined;
  if (word !== "TCP4" && word !== "TCP6") return "unknown PROXY v1 protocol";
  const fields = rest.slice(space + 1).split(" ");
  if (fields.length > 4 || fields.slice(0, -1).some((f) => f === "")) {
    return "PROXY v1 line has a wrong number of fields";
  }
  return V1_FIELD_CHARS[word].test(rest.slice(space + 1))
    ? undefined
    : `PROXY v1 ${word} line has a character not allowed there`;
}

/** Validate a whole v1 line (without its CRLF); `consumed` counts the CRLF. */
function finishV1(line: string, consumed: number): ProxyParseResult {
  const parts = line.split(" ");
  const protocol = parts[1];
  if (protocol === "UNKNOWN") {
    return { status: "done", header: { version: 1, command: "proxy", addresses: null }, consumed };
  }
  if (protocol !== "TCP4" && protocol !== "TCP6") return fail("unknown PROXY v1 protocol");
  if (parts.length !== 6) return fail("PROXY v1 line has a wrong number of fields");
  const [, , source, destination, sourcePortText, destinationPortText] = parts as [
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  const sourcePort = v1Port(sourcePortText);
  const destinationPort = v1Port(destinationPortText);
  if (sourcePort < 0 || destinationPort < 0) return fail("PROXY v1 port is not 0-65535");
  let sourceAddress: string;
  let destinationAddress: string;
  if (protocol === "TCP4") {
    const s = parseIPv4(source);
    const d = parseIPv4(destination);
    if (s < 0 || d < 0) return fail("PROXY v1 TCP4 address is not a dotted quad");
    sourceAddress = formatIPv4(s);
    destinationAddress = formatIPv4(d);
  } else {
    const s = parseIPv6(source);
    const d = parseIPv6(destination);
    if (s === undefined || d === undefined) return fail("PROXY v1 TCP6 address is not IPv6");
    sourceAddress = formatIPv6(s);
    destinationAddress = formatIPv6(d);
  }
  return {
    status: "done",
    header: {
      version: 1,
      command: "proxy",
      addresses: {
        family: protocol === "TCP4" ? "ipv4" : "ipv6",
        transport: "tcp",
        sourceAddress,
        sourcePort,
        destinationAddress,
        destinationPort,
      },
    },
    consumed,
  };
}

function v1Port(text: string): number {
  if (!PORT.test(text)) return -1;
  const port = Number(text);
  return port <= 65535 ? port : -1;
}

// ---- a buffering front end ---------------------------------------------------

export type ProxyReceiveResult =
  | { status: "need-more" }
  | { status: "error"; reason: string }
  | { status: "done"; header: ProxyHeader; consumed: number; rest: Buffer };

/**
 * Feeds chunks as they arrive and holds only the bytes of an unfinished
 * header (never more than the cap). On "done", `rest` is every byte received
 * after the header, for the protocol behind the proxy. After "done" or
 * "error" it takes no more data.
 */
export class ProxyHeaderParser {
  private buffered: Buffer = Buffer.alloc(0);
  private finished = false;

  constructor(private readonly options: ProxyHeaderOptions = {}) {}

  /** Bytes held while waiting for the rest of a header. */
  get bufferedBytes(): number {
    return this.buffered.length;
  }

  receiveData(chunk: Uint8Array): ProxyReceiveResult {
    if (this.finished) throw new Error("ProxyHeaderParser received data after it finished");
    const data =
      this.buffered.length === 0
        ? Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength)
        : Buffer.concat([this.buffered, chunk]);
    const result = parseProxyHeader(data, this.options);
    if (result.status === "need-more") {
      // Copy, so the caller may reuse its chunk's memory.
      this.buffered = Buffer.from(data);
      return result;
    }
    this.finished = true;
    this.buffered = Buffer.alloc(0);
    if (result.status === "error") return result;
    return { ...result, rest: data.subarray(result.consumed) };
  }
}
