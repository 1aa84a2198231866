/**
 * NTS-protected NTPv4 (RFC 8915 §5), server side, sans I/O: which NTS
 * fields a client request carries, and the bytes of the two answers, an
 * authenticated reply and an NTS NAK. The cookie's and the authenticator's
 * cryptography is done by the caller between the two steps; this module
 * only frames.
 *
 * A request is NTS when it carries a Unique Identifier or an NTS field; it
 * is then well formed only with exactly one Unique Identifier, exactly one
 * cookie and an Authenticator, in any order but with the Authenticator
 * after the other three (fields after it are not authenticated and are
 * ignored, RFC 8915 §5.6).
 */

import { SNTP_PACKET_LENGTH } from "../sntp.js";
import {
  type Authenticator,
  authenticatorLength,
  ExtensionFieldType,
  fieldLength,
  MIN_UNIQUE_IDENTIFIER_LENGTH,
  parseAuthenticator,
  parseExtensionFields,
  writeAuthenticatorFrame,
  writeField,
} from "./extension-fields.js";

/** The nonce a server puts in its own Authenticator. */
export const NTS_SERVER_NONCE_LENGTH = 16;
/** The shortest nonce accepted from a client: AES-SIV's 16 (RFC 8915 §5.6 lets the AEAD set it). */
export const NTS_MIN_CLIENT_NONCE_LENGTH = 16;
const SIV_TAG_LENGTH = 16;

export interface NtsRequest {
  readonly kind: "nts";
  readonly uniqueIdentifier: Uint8Array;
  readonly cookie: Uint8Array;
  /** Placeholder fields outside the encrypted part; those inside are counted after decryption. */
  readonly placeholders: number;
  /** Where the Authenticator field starts: everything before it is its associated data. */
  readonly authenticatorAt: number;
  readonly authenticator: Authenticator;
}

export type NtsRejection =
  | "malformed-field"
  | "no-unique-identifier"
  | "duplicate-field"
  | "no-cookie"
  | "no-authenticator"
  | "malformed-authenticator";

export type NtsClassification =
  | NtsRequest
  | { readonly kind: "plain" }
  | { readonly kind: "rejected"; readonly reason: NtsRejection };

const PLAIN = Object.freeze({ kind: "plain" as const });
const REJECTED = new Map<NtsRejection, NtsClassification>();
function rejected(reason: NtsRejection): NtsClassification {
  let r = REJECTED.get(reason);
  if (r === undefined) {
    r = Object.freeze({ kind: "rejected" as const, reason });
    REJECTED.set(reason, r);
  }
  return r;
}

/** Legacy symmetric-key MACs (key id + MD5 or SHA-1): not extension fields, and not NTS. */
function isLegacyMac(extra: number): boolean {
  return extra === 20 || extra === 24;
}

/**
 * Classifies a client request of 48 bytes or more (already accepted by the
 * SNTP codec). "plain" means answer it as SNTP: no extension fields, a
 * legacy MAC, or fields none of which is NTS's.
 */
export function classifyNtsRequest(datagram: Uint8Array): NtsClassification {
  const extra = datagram.length - SNTP_PACKET_LENGTH;
  if (extra <= 0 || isLegacyMac(extra)) return PLAIN;
  const fields = parseExtensionFields(datagram, SNTP_PACKET_LENGTH);
  if (fields === undefined) return rejected("malformed-field");
  let uid: Uint8Array | undefined;
  let cookie: Uint8Array | undefined;
  let placeholders = 0;
  for (const field of fields) {
    switch (field.type) {
      case ExtensionFieldType.UNIQUE_IDENTIFIER:
        if (uid !== undefined) return rejected("duplicate-field");
        uid = datagram.subarray(field.valueStart, field.end);
        if (uid.length < MIN_UNIQUE_IDENTIFIER_LENGTH) return rejected("malformed-field");
        break;
      case ExtensionFieldType.NTS_COOKIE:
        if (cookie !== undefined) return rejected("duplicate-field");
        // The field's padding belongs to the field, not the cookie: cookies
        // this server makes are a multiple of 4 and fill their field exactly.
        cookie = datagram.subarray(field.valueStart, field.end);
        break;
      case ExtensionFieldType.NTS_COOKIE_PLACEHOLDER:
        placeholders++;
        break;
      case ExtensionFieldType.NTS_AUTHENTICATOR: {
        if (uid === undefined) return rejected("no-unique-identifier");
        if (cookie === undefined) return rejected("no-cookie");
        const authenticator = parseAuthenticator(datagram, field);
        if (
          authenticator === undefined ||
          authenticator.nonce.length < NTS_MIN_CLIENT_NONCE_LENGTH ||
          authenticator.ciphertext.length < SIV_TAG_LENGTH
        )
          return rejected("malformed-authenticator");
        return {
          kind: "nts",
          uniqueIdentifier: uid,
          cookie,
          placeholders,
          authenticatorAt: field.start,
          authenticator,
        };
      }
    }
  }
  if (uid === undefined && cookie === undefined && placeholders === 0) return PLAIN;
  if (uid === undefined) return rejected("no-unique-identifier");
  if (cookie === undefined) return rejected("no-cookie");
  return rejected("no-authenticator");
}

/** Placeholders among the decrypted extension fields; undefined when they are malformed. */
export function countEncryptedPlaceholders(plaintext: Uint8Array): number | undefined {
  if (plaintext.length === 0) return 0;
  const fields = parseExtensionFields(plaintext, 0);
  if (fields === undefined) return undefined;
  let n = 0;
  for (const field of fields) if (field.type === ExtensionFieldType.NTS_COOKIE_PLACEHOLDER) n++;
  return n;
}

/** The bytes of `cookies` as encrypted extension fields: the plaintext of the reply's Authenticator. */
export function cookieFieldsLength(cookieLength: number, count: number): number {
  return count * fieldLength(cookieLength);
}

/**
 * How many cookies fit in a reply no larger than the request, at most
 * `wanted`. The reply is the header, the Unique Identifier field and the
 * Authenticator with a 16-byte nonce around the sealed cookie fields.
 */
export function cookiesThatFit(
  requestLength: number,
  uidLength: number,
  cookieLength: number,
  wanted: number,
): number {
  const fixed = SNTP_PACKET_LENGTH + fieldLength(uidLength);
  for (let n = wanted; n > 0; n--) {
    const auth = authenticatorLength(
      NTS_SERVER_NONCE_LENGTH,
      SIV_TAG_LENGTH + cookieFieldsLength(cookieLength, n),
    );
    if (fixed + auth <= requestLength) return n;
  }
  return 0;
}

/**
 * Lays out an authenticated reply: `header` (the 48-byte NTP reply), the
 * Unique Identifier field and the Authenticator's frame with `nonce`. The
 * caller then seals `plaintext` (the cookie fields) with the S2C key over
 * `associatedData` into `ciphertextAt`. Returns the whole reply buffer.
 */
export function layoutNtsReply(
  header: Uint8Array,
  uniqueIdentifier: Uint8Array,
  nonce: Uint8Array,
  plaintextLength: number,
): { reply: Buffer; associatedData: Buffer; ciphertextAt: number } {
  const ciphertextLength = SIV_TAG_LENGTH + plaintextLength;
  const uidEnd = SNTP_PACKET_LENGTH + fieldLength(uniqueIdentifier.length);
  const total = uidEnd + authenticatorLength(nonce.length, ciphertextLength);
  const reply = Buffer.allocUnsafe(total);
  // The header is 48 bytes (a view of it only when it is not: views cost on this path).
  reply.set(
    header.length === SNTP_PACKET_LENGTH ? header : header.subarray(0, SNTP_PACKET_LENGTH),
    0,
  );
  writeField(reply, SNTP_PACKET_LENGTH, ExtensionFieldType.UNIQUE_IDENTIFIER, uniqueIdentifier);
  const { ciphertextAt } = writeAuthenticatorFrame(reply, uidEnd, nonce, ciphertextLength);
  return { reply, associatedData: reply.subarray(0, uidEnd), ciphertextAt };
}

/** Writes each cookie as an NTS Cookie field, one after another. */
export function encodeCookieFields(cookies: readonly Uint8Array[], out: Buffer): Buffer {
  let at = 0;
  for (const cookie of cookies) at = writeField(out, at, ExtensionFieldType.NTS_COOKIE, cookie);
  return out.subarray(0, at);
}

/**
 * An NTS NAK (RFC 8915 §5.7): the Kiss-o'-Death `kod` (a 48-byte NTSN
 * reply) followed by the request's Unique Identifier, and no Authenticator.
 */
export function encodeNtsNak(kod: Uint8Array, uniqueIdentifier: Uint8Array): Buffer {
  const reply = Buffer.allocUnsafe(SNTP_PACKET_LENGTH + fieldLength(uniqueIdentifier.length));
  reply.set(kod.subarray(0, SNTP_PACKET_LENGTH), 0);
  writeField(reply, SNTP_PACKET_LENGTH, ExtensionFieldType.UNIQUE_IDENTIFIER, uniqueIdentifier);
  return reply;
}
