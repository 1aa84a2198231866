/**
 * The client side of NTS-protected NTP (RFC 8915 §5), as little as the tests
 * need: a request with a Unique Identifier, one cookie, placeholders and an
 * Authenticator sealed with the C2S key, and the checks a client makes on a
 * reply (Unique Identifier echoed, Authenticator verifies with S2C, cookies
 * inside).
 */

import { randomBytes } from "node:crypto";
import { AesSiv } from "../../src/crypto/aes-siv.js";
import {
  ExtensionFieldType,
  fieldLength,
  parseAuthenticator,
  parseExtensionFields,
  writeAuthenticatorFrame,
  writeField,
} from "../../src/protocols/nts/extension-fields.js";
import { datagram } from "../protocols/sntp-datagrams.js";

export interface NtsRequestOptions {
  c2s: Uint8Array;
  cookie: Uint8Array;
  placeholders?: number;
  uid?: Uint8Array;
  nonce?: Uint8Array;
  /** Extension fields to encrypt inside the Authenticator. */
  encrypted?: Uint8Array;
  transmit?: number[];
}

export function ntsRequest(options: NtsRequestOptions): { bytes: Buffer; uid: Uint8Array } {
  const uid = options.uid ?? randomBytes(32);
  const nonce = options.nonce ?? randomBytes(16);
  const encrypted = options.encrypted ?? new Uint8Array(0);
  const placeholders = options.placeholders ?? 0;
  const cookieField = fieldLength(options.cookie.length);
  const length =
    48 +
    fieldLength(uid.length) +
    cookieField * (1 + placeholders) +
    fieldLength(4 + 16 + 16 + encrypted.length);
  const bytes = Buffer.alloc(length + 64);
  datagram(options.transmit === undefined ? {} : { transmit: options.transmit }).copy(bytes, 0);
  let at = writeField(bytes, 48, ExtensionFieldType.UNIQUE_IDENTIFIER, uid);
  at = writeField(bytes, at, ExtensionFieldType.NTS_COOKIE, options.cookie);
  for (let i = 0; i < placeholders; i++)
    at = writeField(
      bytes,
      at,
      ExtensionFieldType.NTS_COOKIE_PLACEHOLDER,
      new Uint8Array(options.cookie.length),
    );
  const authAt = at;
  const frame = writeAuthenticatorFrame(bytes, at, nonce, 16 + encrypted.length);
  new AesSiv(options.c2s).seal(
    [bytes.subarray(0, authAt), nonce],
    encrypted,
    bytes,
    frame.ciphertextAt,
  );
  return { bytes: bytes.subarray(0, frame.end), uid };
}

export type NtsReplyCheck =
  | { kind: "ok"; cookies: Buffer[]; header: Buffer }
  | { kind: "nak" }
  | { kind: "bad"; why: string };

/** What a client concludes from a reply to a request with `uid`. */
export function checkNtsReply(reply: Buffer, uid: Uint8Array, s2c: Uint8Array): NtsReplyCheck {
  const fields = parseExtensionFields(reply, 48);
  if (fields === undefined) return { kind: "bad", why: "malformed fields" };
  const uidField = fields.find((f) => f.type === ExtensionFieldType.UNIQUE_IDENTIFIER);
  if (uidField === undefined) return { kind: "bad", why: "no unique identifier" };
  if (!reply.subarray(uidField.valueStart, uidField.end).equals(Buffer.from(uid)))
    return { kind: "bad", why: "another unique identifier" };
  if (reply.subarray(12, 16).toString("latin1") === "NTSN" && reply[1] === 0)
    return { kind: "nak" };
  const authField = fields.find((f) => f.type === ExtensionFieldType.NTS_AUTHENTICATOR);
  if (authField === undefined) return { kind: "bad", why: "no authenticator" };
  const auth = parseAuthenticator(reply, authField);
  if (auth === undefined) return { kind: "bad", why: "malformed authenticator" };
  const plaintext = new AesSiv(s2c).open(
    [reply.subarray(0, authField.start), auth.nonce],
    auth.ciphertext,
  );
  if (plaintext === undefined) return { kind: "bad", why: "authenticator does not verify" };
  const inner = parseExtensionFields(plaintext, 0) ?? [];
  const cookies = inner
    .filter((f) => f.type === ExtensionFieldType.NTS_COOKIE)
    .map((f) => Buffer.from(plaintext.subarray(f.valueStart, f.end)));
  return { kind: "ok", cookies, header: reply.subarray(0, 48) };
}
