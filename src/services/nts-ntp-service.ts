/**
 * The NTS side of the SNTP service (RFC 8915 §5): given a client request
 * with NTS extension fields, open its cookie, check its Authenticator, and
 * answer with the Unique Identifier echoed and an Authenticator whose
 * encrypted part holds a fresh cookie for the spent one and for each
 * placeholder, never more bytes than the request had. A cookie that does
 * not open (another secret, an expired period) gets an NTS NAK; a request
 * whose Authenticator does not verify gets nothing, since anyone on the path
 * could have sent it.
 *
 * The SNTP service hands over every request longer than 48 bytes; a request
 * without NTS fields is handed back (undefined) and answered as plain SNTP.
 */

import { randomFillSync } from "node:crypto";
import type { Siv, SivFactory } from "../crypto/aes-siv.js";
import { ntsNakSent, ntsReplySent } from "../logging/log-events.js";
import type { Logger } from "../logging/logger.js";
import type { Counter, CounterRegistry } from "../metrics/counters.js";
import { ntsCookiesIssuedCounter, ntsRequestCounter } from "../metrics/nts-metrics.js";
import type { Peer } from "../policy/admission.js";
import { COOKIE_LENGTH, type CookieJar, nonceViews } from "../protocols/nts/cookies.js";
import { ExtensionFieldType, fieldLength, writeField } from "../protocols/nts/extension-fields.js";
import {
  classifyNtsRequest,
  cookiesThatFit,
  countEncryptedPlaceholders,
  encodeNtsNak,
  layoutNtsReply,
  NTS_SERVER_NONCE_LENGTH,
  type NtsClassification,
  type NtsRejection,
} from "../protocols/nts/nts-ntp.js";
import type { SntpRequest } from "../protocols/sntp.js";
import { sivFactory } from "../transport/native-siv.js";
import type { Drop } from "../transport/udp-listener.js";

/** The most cookies one reply carries (RFC 8915 §5.7 lets the client ask for up to 7 more). */
const MAX_COOKIES = 8;
const COOKIE_FIELD = fieldLength(COOKIE_LENGTH);
/** Sessions whose AES-SIV instances are kept (a few kilobytes each). */
export const SESSION_CACHE = 1024;

interface Session {
  readonly c2s: Siv;
  readonly s2c: Siv;
}

/** What the SNTP service lends: its 48-byte reply and Kiss-o'-Death for a request. */
export interface NtpHeaders {
  reply(request: SntpRequest, receiveTime: bigint): Buffer;
  kiss(request: SntpRequest, code: string): Buffer;
}

export interface NtsNtpServiceOptions {
  /** The current jar: a SIGHUP that re-reads the secret replaces it. */
  cookies: () => CookieJar;
  logger: Logger;
  counters: CounterRegistry;
  random?: (into: Buffer) => void;
  /** The AES-SIV for the session keys: by default the native one when the module has it. */
  siv?: SivFactory;
}

const DROPS: Record<NtsRejection | "bad-authenticator" | "malformed-encrypted", Drop> = {
  "malformed-field": { reason: "nts-malformed", detail: "malformed extension fields" },
  "no-unique-identifier": {
    reason: "nts-malformed",
    detail: "NTS fields without a Unique Identifier",
  },
  "duplicate-field": { reason: "nts-malformed", detail: "two Unique Identifiers or cookies" },
  "no-cookie": { reason: "nts-malformed", detail: "NTS fields without a cookie" },
  "no-authenticator": { reason: "nts-malformed", detail: "NTS fields without an Authenticator" },
  "malformed-authenticator": { reason: "nts-malformed", detail: "a malformed NTS Authenticator" },
  "bad-authenticator": { reason: "nts-auth", detail: "an NTS Authenticator that does not verify" },
  "malformed-encrypted": {
    reason: "nts-malformed",
    detail: "malformed encrypted extension fields",
  },
};

export class NtsNtpService {
  private readonly cookies: () => CookieJar;
  private readonly logger: Logger;
  private readonly random: (into: Buffer) => void;
  private readonly siv: SivFactory;
  private readonly authenticated: Counter;
  private readonly naks: Counter;
  private readonly malformed: Counter;
  private readonly badAuth: Counter;
  private readonly issued: Counter;
  private readonly nonces = Buffer.alloc(NTS_SERVER_NONCE_LENGTH * 64);
  private readonly nonceViews = nonceViews(this.nonces, NTS_SERVER_NONCE_LENGTH);
  private noncesUsed = this.nonceViews.length;
  private readonly sessions = new Map<string, Session>();
  /** The last datagram `isNts` parsed and what it found, for `answer`. */
  private classified: Buffer | undefined;
  private classification: NtsClassification | undefined;

  constructor(options: NtsNtpServiceOptions) {
    this.cookies = options.cookies;
    this.logger = options.logger;
    this.random = options.random ?? randomFillSync;
    this.siv = options.siv ?? sivFactory();
    this.authenticated = ntsRequestCounter(options.counters, "authenticated");
    this.naks = ntsRequestCounter(options.counters, "nak");
    this.malformed = ntsRequestCounter(options.counters, "malformed");
    this.badAuth = ntsRequestCounter(options.counters, "bad-authenticator");
    this.issued = ntsCookiesIssuedCounter(options.counters, "ntp");
  }

  /** True when `datagram` carries NTS fields (so an over-rate request gets no plain KoD). */
  isNts(datagram: Buffer): boolean {
    const nts = classifyNtsRequest(datagram);
    // The SNTP service asks this, then (same datagram, same turn) for the
    // answer: keep the parse for it rather than parse twice.
    this.classified = datagram;
    this.classification = nts;
    return nts.kind !== "plain";
  }

  /** The answer to an NTS request, or undefined when it has no NTS fields. */
  answer(
    datagram: Buffer,
    request: SntpRequest,
    receiveTime: bigint,
    peer: Peer,
    headers: NtpHeaders,
  ): Buffer | Drop | undefined {
    const nts = this.classified === datagram ? this.classification : classifyNtsRequest(datagram);
    this.classified = undefined;
    this.classification = undefined;
    if (nts === undefined || nts.kind === "plain") return undefined;
    if (nts.kind === "rejected") {
      this.malformed.value++;
      return DROPS[nts.reason];
    }
    const jar = this.cookies();
    const nowSeconds = Number(receiveTime / 1_000_000_000n);
    const keys = jar.open(nts.cookie, nowSeconds);
    if (keys === undefined) {
      this.naks.value++;
      ntsNakSent(this.logger, peer);
      return encodeNtsNak(headers.kiss(request, "NTSN"), nts.uniqueIdentifier);
    }
    const session = this.session(keys.c2s, keys.s2c);
    const plaintext = session.c2s.open(
      [datagram.subarray(0, nts.authenticatorAt), nts.authenticator.nonce],
      nts.authenticator.ciphertext,
    );
    if (plaintext === undefined) {
      this.badAuth.value++;
      return DROPS["bad-authenticator"];
    }
    const encryptedPlaceholders = countEncryptedPlaceholders(plaintext);
    if (encryptedPlaceholders === undefined) {
      this.malformed.value++;
      return DROPS["malformed-encrypted"];
    }
    const wanted = Math.min(MAX_COOKIES, 1 + nts.placeholders + encryptedPlaceholders);
    const count = cookiesThatFit(
      datagram.length,
      nts.uniqueIdentifier.length,
      COOKIE_LENGTH,
      wanted,
    );
    const fields = Buffer.allocUnsafe(count * COOKIE_FIELD);
    for (let i = 0; i < count; i++) {
      const at = i * COOKIE_FIELD;
      // The field's header, then the cookie sealed in place behind it.
      writeField(fields, at, ExtensionFieldType.NTS_COOKIE, EMPTY_COOKIE);
      jar.sealInto(keys, nowSeconds, fields, at + 4);
    }
    this.issued.value += count;
    const nonce = this.nextNonce();
    const { reply, associatedData, ciphertextAt } = layoutNtsReply(
      headers.reply(request, receiveTime),
      nts.uniqueIdentifier,
      nonce,
      fields.length,
    );
    session.s2c.sealInto([associatedData, nonce], fields, reply, ciphertextAt);
    this.authenticated.value++;
    ntsReplySent(this.logger, peer, count);
    return reply;
  }

  /**
   * The AES-SIV instances of a session's two keys. A client keeps the keys
   * of one key exchange for every request until it re-keys (only the
   * cookies change), and making a key's cipher objects is most of what a
   * request costs in Node, so the last SESSION_CACHE sessions keep theirs.
   * The keys stay in memory no longer than that, and the cookies hold them
   * anyway. The native AES-SIV keeps recent keys itself (cheapKeys).
   */
  private session(c2s: Buffer, s2c: Buffer): Session {
    if (this.siv.cheapKeys === true) return { c2s: this.siv(c2s), s2c: this.siv(s2c) };
    const id = c2s.toString("latin1") + s2c.toString("latin1");
    let session = this.sessions.get(id);
    if (session !== undefined) {
      // Most recently used last: Map keeps insertion order.
      this.sessions.delete(id);
    } else {
      session = { c2s: this.siv(c2s), s2c: this.siv(s2c) };
      if (this.sessions.size >= SESSION_CACHE) {
        const oldest = this.sessions.keys().next().value as string;
        this.sessions.delete(oldest);
      }
    }
    this.sessions.set(id, session);
    return session;
  }

  private nextNonce(): Buffer {
    if (this.noncesUsed === this.nonceViews.length) {
      this.random(this.nonces);
      this.noncesUsed = 0;
    }
    return this.nonceViews[this.noncesUsed++] as Buffer;
  }
}

/** A cookie-sized zero value: writeField sets the header and length, the jar overwrites the value. */
const EMPTY_COOKIE = new Uint8Array(COOKIE_LENGTH);
