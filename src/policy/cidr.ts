/**
 * One `--allow` / `--deny` value: a network in CIDR notation or a bare address.
 *
 * Rules kept here:
 * - a bare address is a /32 (IPv4) or /128 (IPv6) network;
 * - host bits below the prefix are cleared, as chrony and nginx do
 *   (`10.0.0.1/8` is 10.0.0.0/8); `hostBitsCleared` tells the caller so it can
 *   warn, since such a value is often a typo for a longer prefix;
 * - an IPv6 network inside ::ffff:0:0/96 is the IPv4 network it maps
 *   (`::ffff:10.0.0.0/104` is 10.0.0.0/8), because mapped peers are matched as
 *   IPv4; shorter IPv6 prefixes match native IPv6 peers only;
 * - a bad value is one TS_ERR_CONFIG line naming it and saying what is wrong.
 */

import { configError } from "../errors.js";
import {
  formatIPv4,
  formatIPv6,
  isIPv4Mapped,
  parseIPv4,
  parseIPv4OrMapped,
  parseIPv6,
} from "./ip-address.js";

export type IpFamily = 4 | 6;

export class Cidr {
  private constructor(
    readonly family: IpFamily,
    /** The network address; an IPv4 network uses the low 32 bits. */
    readonly network: bigint,
    readonly prefix: number,
    /** The value as typed had bits set below its prefix, now cleared. */
    readonly hostBitsCleared: boolean,
  ) {}

  /** Parse `10.0.0.0/8`, `2001:db8::/32`, `[::1]`, `192.0.2.7`; throws CidrSyntaxError. */
  static parse(text: string): Cidr {
    const trimmed = text.trim();
    if (trimmed === "") throw new CidrSyntaxError("empty; expected an address or address/prefix");
    const slash = trimmed.indexOf("/");
    let addressText = slash === -1 ? trimmed : trimmed.slice(0, slash);
    if (addressText.startsWith("[") && addressText.endsWith("]")) {
      addressText = addressText.slice(1, -1);
    }
    let family: IpFamily;
    let value: bigint;
    if (addressText.includes(":")) {
      const v6 = parseIPv6(addressText);
      if (v6 === undefined) throw new CidrSyntaxError("not an IPv6 address");
      family = 6;
      value = v6;
    } else {
      const v4 = parseIPv4(addressText);
      if (v4 < 0)
        throw new CidrSyntaxError("not an IPv4 address (four numbers 0-255, no leading zeros)");
      family = 4;
      value = BigInt(v4);
    }
    const width = family === 4 ? 32 : 128;
    let prefix = width;
    if (slash !== -1) {
      const prefixText = trimmed.slice(slash + 1);
      prefix = /^\d{1,3}$/.test(prefixText) ? Number(prefixText) : Number.NaN;
      if (!(prefix <= width)) {
        throw new CidrSyntaxError(`prefix length must be a whole number from 0 to ${width}`);
      }
    }
    if (family === 6 && prefix >= 96 && isIPv4Mapped(value)) {
      family = 4;
      value &= 0xffffffffn;
      prefix -= 96;
    }
    const network = value & networkMask(family, prefix);
    return new Cidr(family, network, prefix, network !== value);
  }

  /** True when `address` (as Node reports peers) lies in this network. */
  contains(address: string): boolean {
    if (this.family === 4) {
      const v4 = parseIPv4OrMapped(address);
      return v4 >= 0 && (BigInt(v4) & networkMask(4, this.prefix)) === this.network;
    }
    const v6 = address.includes(":") ? parseIPv6(address) : undefined;
    if (v6 === undefined || isIPv4Mapped(v6)) return false;
    return (v6 & networkMask(6, this.prefix)) === this.network;
  }

  /** Canonical text: `10.0.0.0/8`, `2001:db8::/32`. */
  toString(): string {
    const address = this.family === 4 ? formatIPv4(Number(this.network)) : formatIPv6(this.network);
    return `${address}/${this.prefix}`;
  }
}

/** Why a single value is not a CIDR; the list parser turns it into a config error. */
export class CidrSyntaxError extends Error {
  override name = "CidrSyntaxError";
}

const ALL_128 = (1n << 128n) - 1n;

export function networkMask(family: IpFamily, prefix: number): bigint {
  const width = family === 4 ? 32n : 128n;
  const all = family === 4 ? 0xffffffffn : ALL_128;
  return (all << (width - BigInt(prefix))) & all;
}

/**
 * A comma-separated list as given to `--allow`/`--deny` or TIMESERVER_ALLOW /
 * TIMESERVER_DENY. `source` names where it came from, for the error line:
 * `invalid --allow "10.0.0.0/33": prefix length must be a whole number from 0 to 32`.
 * Empty items (`10.0.0.0/8,,` or "") are errors, not silently skipped.
 */
export function parseCidrList(source: string, raw: string): Cidr[] {
  return raw.split(",").map((item) => {
    try {
      return Cidr.parse(item);
    } catch (error) {
      if (error instanceof CidrSyntaxError) throw configError(source, item.trim(), error.message);
      throw error;
    }
  });
}
