/**
 * NTP extension fields (RFC 7822) and the four NTS uses of them (RFC 8915
 * §5.7), sans I/O. A field is a 16-bit type, a 16-bit length that counts
 * the whole field (header, value and padding to a multiple of 4) and the
 * value. Every length is checked against what is left of the datagram
 * before it is used, so a lie in a length field can only make the parse
 * fail, never read past the datagram.
 */

export const ExtensionFieldType = {
  UNIQUE_IDENTIFIER: 0x0104,
  NTS_COOKIE: 0x0204,
  NTS_COOKIE_PLACEHOLDER: 0x0304,
  NTS_AUTHENTICATOR: 0x0404,
} as const;

/** RFC 7822 §3: a field is at least 16 bytes. */
export const MIN_FIELD_LENGTH = 16;
/** RFC 8915 §5.3: a Unique Identifier is at least 32 bytes of randomness. */
export const MIN_UNIQUE_IDENTIFIER_LENGTH = 32;
/** Fields parsed from one datagram, at most: a 1500-byte datagram holds 90 of the smallest. */
export const MAX_FIELDS = 128;

const HEADER = 4;

/** One field, as offsets into the datagram it came from: no copy is made. */
export interface ExtensionField {
  readonly type: number;
  /** Where the field's header starts. */
  readonly start: number;
  /** Where its value starts (start + 4). */
  readonly valueStart: number;
  /** Where the field, padding included, ends. */
  readonly end: number;
}

/**
 * The fields from `offset` to the end of `bytes`; undefined when a length
 * is below 16, not a multiple of 4, or runs past the end, or when fewer
 * than 4 bytes are left over.
 */
export function parseExtensionFields(
  bytes: Uint8Array,
  offset: number,
): ExtensionField[] | undefined {
  const fields: ExtensionField[] = [];
  let at = offset;
  while (at < bytes.length) {
    if (bytes.length - at < HEADER || fields.length === MAX_FIELDS) return undefined;
    const type = ((bytes[at] as number) << 8) | (bytes[at + 1] as number);
    const length = ((bytes[at + 2] as number) << 8) | (bytes[at + 3] as number);
    if (length < MIN_FIELD_LENGTH || length % 4 !== 0 || length > bytes.length - at)
      return undefined;
    fields.push({ type, start: at, valueStart: at + HEADER, end: at + length });
    at += length;
  }
  return fields;
}

/** The length of a field holding `valueLength` bytes: padded to 4, and at least 16. */
export function fieldLength(valueLength: number): number {
  return Math.max(MIN_FIELD_LENGTH, (HEADER + valueLength + 3) & ~3);
}

/** Writes a field with `value` at `offset` (zero padding); returns the offset after it. */
export function writeField(
  out: Uint8Array,
  offset: number,
  type: number,
  value: Uint8Array,
): number {
  const length = fieldLength(value.length);
  out[offset] = type >> 8;
  out[offset + 1] = type & 0xff;
  out[offset + 2] = length >> 8;
  out[offset + 3] = length & 0xff;
  out.set(value, offset + HEADER);
  out.fill(0, offset + HEADER + value.length, offset + length);
  return offset + length;
}

/** The NTS Authenticator's value (RFC 8915 §5.6), as views into the datagram. */
export interface Authenticator {
  readonly nonce: Uint8Array;
  /** The AEAD's output: the SIV tag, then the encrypted extension fields. */
  readonly ciphertext: Uint8Array;
}

/**
 * Nonce length, ciphertext length, the nonce and the ciphertext, each padded
 * to 4; extra padding may follow. Undefined when the lengths do not fit.
 */
export function parseAuthenticator(
  bytes: Uint8Array,
  field: ExtensionField,
): Authenticator | undefined {
  const v = field.valueStart;
  if (field.end - v < 4) return undefined;
  const nonceLength = ((bytes[v] as number) << 8) | (bytes[v + 1] as number);
  const ciphertextLength = ((bytes[v + 2] as number) << 8) | (bytes[v + 3] as number);
  const nonceStart = v + 4;
  const ciphertextStart = nonceStart + ((nonceLength + 3) & ~3);
  const end = ciphertextStart + ((ciphertextLength + 3) & ~3);
  if (end > field.end) return undefined;
  return {
    nonce: bytes.subarray(nonceStart, nonceStart + nonceLength),
    ciphertext: bytes.subarray(ciphertextStart, ciphertextStart + ciphertextLength),
  };
}

/** The length of an Authenticator field for a nonce and a ciphertext of these lengths. */
export function authenticatorLength(nonceLength: number, ciphertextLength: number): number {
  return fieldLength(4 + ((nonceLength + 3) & ~3) + ((ciphertextLength + 3) & ~3));
}

/**
 * Writes the Authenticator field's header, lengths and nonce at `offset`
 * and zeroes its padding; the caller seals the ciphertext in place at the
 * returned `ciphertextAt`.
 */
export function writeAuthenticatorFrame(
  out: Uint8Array,
  offset: number,
  nonce: Uint8Array,
  ciphertextLength: number,
): { ciphertextAt: number; end: number } {
  const length = authenticatorLength(nonce.length, ciphertextLength);
  const type = ExtensionFieldType.NTS_AUTHENTICATOR;
  out.fill(0, offset, offset + length);
  out[offset] = type >> 8;
  out[offset + 1] = type & 0xff;
  out[offset + 2] = length >> 8;
  out[offset + 3] = length & 0xff;
  out[offset + 4] = nonce.length >> 8;
  out[offset + 5] = nonce.length & 0xff;
  out[offset + 6] = ciphertextLength >> 8;
  out[offset + 7] = ciphertextLength & 0xff;
  out.set(nonce, offset + 8);
  return { ciphertextAt: offset + 8 + ((nonce.length + 3) & ~3), end: offset + length };
}
