/**
 * IP address text to numbers and back, strictly: one spelling per address
 * family rule, no DNS, no zone ids, no octal-looking IPv4 parts.
 *
 * Rules kept here:
 * - IPv4 is exactly four decimal parts 0-255 without leading zeros (so
 *   `010.0.0.1` is refused rather than read as octal or decimal);
 * - IPv6 is up to eight groups of 1-4 hex digits with at most one `::`
 *   standing for one or more zero groups, optionally ending in a dotted quad;
 * - an IPv4-mapped IPv6 address (`::ffff:1.2.3.4`) is the IPv4 address for
 *   every policy decision, because a dual-stack socket reports IPv4 peers that
 *   way and a client must not dodge a rule or a limit by its socket's family;
 * - IPv6 text is written the way Node (libuv's inet_ntop) writes peer
 *   addresses, so keys built from a PROXY header and from a socket agree.
 */

/** An IPv4 address as an unsigned 32-bit number, or -1 when `text` is not one. */
export function parseIPv4(text: string, start = 0, end = text.length): number {
  let value = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x2e /* . */) {
      if (digits === 0 || dots === 3) return -1;
      value = value * 256 + part;
      part = 0;
      digits = 0;
      dots++;
    } else if (c >= 0x30 && c <= 0x39) {
      // A leading zero is only allowed as the whole part ("0").
      if (digits === 1 && part === 0) return -1;
      part = part * 10 + (c - 0x30);
      if (part > 255) return -1;
      digits++;
    } else {
      return -1;
    }
  }
  if (digits === 0 || dots !== 3) return -1;
  return value * 256 + part;
}

const MAPPED_PREFIX = 0xffffn;

/** An IPv6 address as a 128-bit bigint, or undefined when `text` is not one. */
export function parseIPv6(text: string): bigint | undefined {
  const words = parseIPv6Words(text);
  if (words === undefined) return undefined;
  // Four 32-bit halves: four BigInt conversions instead of eight shifts of a growing bigint.
  return (
    (BigInt(words[0] * 65536 + words[1]) << 96n) |
    (BigInt(words[2] * 65536 + words[3]) << 64n) |
    (BigInt(words[4] * 65536 + words[5]) << 32n) |
    BigInt(words[6] * 65536 + words[7])
  );
}

type Words = [number, number, number, number, number, number, number, number];

/**
 * One pass over the characters: groups of 1-4 hex digits separated by ":",
 * one "::" for a run of zero groups, and an optional dotted quad as the last
 * two groups.
 */
function parseIPv6Words(text: string): Words | undefined {
  const n = text.length;
  if (n < 2 || n > 45) return undefined;
  const words: Words = [0, 0, 0, 0, 0, 0, 0, 0];
  let count = 0;
  let gapAt = -1;
  let i = 0;
  if (text.charCodeAt(0) === 0x3a) {
    if (text.charCodeAt(1) !== 0x3a) return undefined;
    gapAt = 0;
    i = 2;
    if (i === n) return words;
  }
  while (true) {
    if (count === 8) return undefined;
    const groupStart = i;
    let group = 0;
    while (i < n && i - groupStart < 5) {
      const c = text.charCodeAt(i);
      const digit =
        c >= 0x30 && c <= 0x39
          ? c - 0x30
          : c >= 0x61 && c <= 0x66
            ? c - 0x57
            : c >= 0x41 && c <= 0x46
              ? c - 0x37
              : -1;
      if (digit < 0) break;
      group = group * 16 + digit;
      i++;
    }
    const length = i - groupStart;
    if (i < n && text.charCodeAt(i) === 0x2e /* . */) {
      // The last two groups written as a dotted quad.
      if (count > 6 || length === 0) return undefined;
      const v4 = parseIPv4(text, groupStart, n);
      if (v4 < 0) return undefined;
      words[count++] = Math.floor(v4 / 65536);
      words[count++] = v4 % 65536;
      break;
    }
    if (length === 0 || length > 4) return undefined;
    words[count++] = group;
    if (i === n) break;
    if (text.charCodeAt(i) !== 0x3a) return undefined;
    i++;
    if (i < n && text.charCodeAt(i) === 0x3a) {
      if (gapAt !== -1) return undefined;
      gapAt = count;
      i++;
      if (i === n) break;
    } else if (i === n) {
      return undefined; // a trailing single ":"
    }
  }
  if (gapAt === -1) return count === 8 ? words : undefined;
  // "::" stands for at least one zero group: move the groups after it to the end.
  if (count > 7) return undefined;
  const after = count - gapAt;
  for (let k = 1; k <= after; k++) {
    words[8 - k] = words[count - k] as number;
    words[count - k] = 0;
  }
  return words;
}

/**
 * The IPv4 address `text` names, as an unsigned 32-bit number: a dotted quad,
 * or an IPv4-mapped IPv6 address in any spelling. -1 for anything else.
 */
export function parseIPv4OrMapped(text: string): number {
  if (!text.includes(":")) return parseIPv4(text);
  // The spelling Node reports for IPv4 peers on a dual-stack socket, parsed without a bigint.
  if (
    text.length > 7 &&
    text.charCodeAt(0) === 0x3a &&
    text.charCodeAt(1) === 0x3a &&
    text.slice(2, 7).toLowerCase() === "ffff:"
  ) {
    const v4 = parseIPv4(text, 7);
    if (v4 >= 0) return v4;
  }
  const v6 = parseIPv6(text);
  return v6 !== undefined && v6 >> 32n === MAPPED_PREFIX ? Number(v6 & 0xffffffffn) : -1;
}

/** True when a 128-bit value lies in ::ffff:0:0/96. */
export function isIPv4Mapped(value: bigint): boolean {
  return value >> 32n === MAPPED_PREFIX;
}

export function formatIPv4(value: number): string {
  return `${value >>> 24}.${(value >>> 16) & 255}.${(value >>> 8) & 255}.${value & 255}`;
}

/**
 * RFC 5952 text as libuv writes it: lowercase, the longest run of two or more
 * zero groups (the first on a tie) as "::", and a dotted quad for IPv4-mapped
 * and IPv4-compatible addresses.
 */
export function formatIPv6(value: bigint): string {
  const words: number[] = [];
  for (let shift = 112n; shift >= 0n; shift -= 16n) words.push(Number((value >> shift) & 0xffffn));
  let bestBase = -1;
  let bestLength = 0;
  for (let i = 0; i < 8; ) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLength) {
      bestBase = i;
      bestLength = j - i;
    }
    i = j;
  }
  if (bestLength < 2) bestBase = -1;
  const embedsIPv4 =
    bestBase === 0 && (bestLength === 6 || (bestLength === 5 && words[5] === 0xffff));
  let text = "";
  for (let i = 0; i < 8; i++) {
    if (i === bestBase) {
      text += "::";
      i += bestLength - 1;
      continue;
    }
    if (text !== "" && !text.endsWith(":")) text += ":";
    if (embedsIPv4 && i === 6) {
      text += formatIPv4(Number(value & 0xffffffffn));
      break;
    }
    text += (words[i] as number).toString(16);
  }
  return text;
}

/**
 * The key under which per-address state is kept: the address as Node reports
 * it, with an IPv4-mapped IPv6 address turned into its dotted quad so both
 * socket families of one client share one record. Cheap: no parsing unless the
 * text starts with "::ffff:".
 */
export function addressKey(address: string): string {
  if (address.length > 7 && address.startsWith("::ffff:") && address.includes(".", 7)) {
    return address.slice(7);
  }
  return address;
}
