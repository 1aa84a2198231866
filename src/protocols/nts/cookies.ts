/**
 * NTS cookies as RFC 8915 §6 recommends, with no state shared between
 * servers but one secret: a cookie is key id ‖ nonce ‖ AEAD(master key,
 * AEAD id ‖ C2S ‖ S2C). The master key of each period (a day by default) is
 * HKDF-SHA256 of the secret and the period's number, which is also the key
 * id, so every process holding the secret makes and opens the same cookies
 * without talking to the others. A cookie opens while its period is at most
 * `acceptPast` periods old (or one period ahead, for a replica whose clock
 * is a little ahead at the turn of a period).
 *
 * The cookie is this server's own business, so its SIV vector is the nonce
 * alone (no empty associated data): one CMAC fewer on every seal and open.
 *
 * Pure: the time (seconds) and the randomness for nonces are passed in.
 */

import { hkdfSync } from "node:crypto";
import {
  AEAD_AES_SIV_CMAC_256,
  AES_SIV_KEY_LENGTH,
  pureSiv,
  type Siv,
  type SivFactory,
} from "../../crypto/aes-siv.js";

export const COOKIE_NONCE_LENGTH = 16;
const KEY_ID_LENGTH = 4;
/** AEAD id (2), reserved zeros (2), C2S, S2C: a multiple of 4, so cookies need no padding. */
const PLAINTEXT_LENGTH = 4 + 2 * AES_SIV_KEY_LENGTH;
/** 104 bytes. */
export const COOKIE_LENGTH = KEY_ID_LENGTH + COOKIE_NONCE_LENGTH + 16 + PLAINTEXT_LENGTH;

export const DEFAULT_ROTATION_SECONDS = 86_400;
/**
 * Periods back a cookie is still accepted: with daily keys, three days, more
 * than the 36 hours between requests of a client at the longest poll
 * interval (2^17 s), and every reply carries fresh cookies.
 */
export const DEFAULT_ACCEPT_PAST = 3;
export const MIN_SECRET_LENGTH = 32;

const HKDF_INFO = "timeserver NTS cookie master key v1";

/** What a cookie carries: the session's keys and which AEAD they are for. */
export interface CookieKeys {
  readonly aead: number;
  readonly c2s: Buffer;
  readonly s2c: Buffer;
}

export interface CookieJarOptions {
  secret: Uint8Array;
  rotationSeconds?: number;
  acceptPast?: number;
  /** Fills the buffer with random bytes (crypto.randomFillSync in a server). */
  random: (into: Buffer) => void;
  /** The AES-SIV to seal and open with (the server passes the native one when it has it). */
  siv?: SivFactory;
}

export class CookieJar {
  private readonly secret: Buffer;
  private readonly rotationSeconds: number;
  private readonly acceptPast: number;
  private readonly random: (into: Buffer) => void;
  private readonly siv: SivFactory;
  /** One Siv per period in use; periods outside the window are forgotten. */
  private readonly keys = new Map<number, Siv>();
  private readonly plaintext = Buffer.alloc(PLAINTEXT_LENGTH);
  private readonly nonces = Buffer.alloc(COOKIE_NONCE_LENGTH * 64);
  private readonly nonceViews = nonceViews(this.nonces, COOKIE_NONCE_LENGTH);
  private noncesUsed = this.nonceViews.length;

  constructor(options: CookieJarOptions) {
    if (options.secret.length < MIN_SECRET_LENGTH)
      throw new RangeError(
        `an NTS secret is at least ${MIN_SECRET_LENGTH} bytes, not ${options.secret.length}`,
      );
    this.secret = Buffer.from(options.secret);
    this.rotationSeconds = options.rotationSeconds ?? DEFAULT_ROTATION_SECONDS;
    this.acceptPast = options.acceptPast ?? DEFAULT_ACCEPT_PAST;
    this.random = options.random;
    this.siv = options.siv ?? pureSiv;
    if (!(this.rotationSeconds >= 1)) throw new RangeError("the rotation period is at least 1 s");
  }

  period(nowSeconds: number): number {
    return Math.floor(nowSeconds / this.rotationSeconds) >>> 0;
  }

  /** A new cookie for these keys, sealed with the current period's key; into `out` at `offset` when given. */
  seal(keys: CookieKeys, nowSeconds: number, out?: Uint8Array, offset = 0): Buffer {
    const cookie =
      out === undefined
        ? Buffer.allocUnsafe(COOKIE_LENGTH)
        : Buffer.from(out.buffer, out.byteOffset + offset, COOKIE_LENGTH);
    this.sealInto(keys, nowSeconds, cookie, 0);
    return cookie;
  }

  /** `seal` into `out` at `offset` (COOKIE_LENGTH bytes), making no view of it. */
  sealInto(keys: CookieKeys, nowSeconds: number, out: Uint8Array, offset: number): void {
    const period = this.period(nowSeconds);
    out[offset] = period >>> 24;
    out[offset + 1] = (period >>> 16) & 0xff;
    out[offset + 2] = (period >>> 8) & 0xff;
    out[offset + 3] = period & 0xff;
    const nonce = this.nextNonce();
    out.set(nonce, offset + KEY_ID_LENGTH);
    const p = this.plaintext;
    p.writeUInt16BE(keys.aead, 0);
    p.writeUInt16BE(0, 2);
    p.set(keys.c2s, 4);
    p.set(keys.s2c, 4 + AES_SIV_KEY_LENGTH);
    this.key(period).sealInto([nonce], p, out, offset + KEY_ID_LENGTH + COOKIE_NONCE_LENGTH);
    p.fill(0);
  }

  /** The keys in `cookie`, or undefined when its period is out of the window or it does not open. */
  open(cookie: Uint8Array, nowSeconds: number): CookieKeys | undefined {
    if (cookie.length !== COOKIE_LENGTH) return undefined;
    const period =
      (cookie[0] as number) * 0x1000000 +
      ((cookie[1] as number) << 16) +
      (((cookie[2] as number) << 8) | (cookie[3] as number));
    const now = this.period(nowSeconds);
    if (period > now + 1 || period < now - this.acceptPast) return undefined;
    const nonce = cookie.subarray(KEY_ID_LENGTH, KEY_ID_LENGTH + COOKIE_NONCE_LENGTH);
    const plaintext = this.key(period).open(
      [nonce],
      cookie.subarray(KEY_ID_LENGTH + COOKIE_NONCE_LENGTH),
    );
    if (plaintext === undefined) return undefined;
    const aead = plaintext.readUInt16BE(0);
    if (aead !== AEAD_AES_SIV_CMAC_256) return undefined;
    return {
      aead,
      c2s: plaintext.subarray(4, 4 + AES_SIV_KEY_LENGTH),
      s2c: plaintext.subarray(4 + AES_SIV_KEY_LENGTH),
    };
  }

  private key(period: number): Siv {
    let siv = this.keys.get(period);
    if (siv === undefined) {
      if (this.keys.size > this.acceptPast + 2) {
        for (const old of this.keys.keys()) this.keys.delete(old);
      }
      siv = this.siv(masterKey(this.secret, period));
      this.keys.set(period, siv);
    }
    return siv;
  }

  /**
   * Nonces come from a pool refilled 64 at a time: one call into the random
   * source per 64 cookies, and views of the pool made once.
   */
  private nextNonce(): Buffer {
    if (this.noncesUsed === this.nonceViews.length) {
      this.random(this.nonces);
      this.noncesUsed = 0;
    }
    return this.nonceViews[this.noncesUsed++] as Buffer;
  }
}

/** `pool` cut into views of `length` bytes, made once and reused as the pool is refilled. */
export function nonceViews(pool: Buffer, length: number): Buffer[] {
  return Array.from({ length: pool.length / length }, (_, i) =>
    pool.subarray(i * length, (i + 1) * length),
  );
}

/** HKDF-SHA256(secret, info ‖ period): the master key of one period. */
export function masterKey(secret: Uint8Array, period: number): Buffer {
  const info = Buffer.alloc(HKDF_INFO.length + 4);
  info.write(HKDF_INFO, 0, "ascii");
  info.writeUInt32BE(period, HKDF_INFO.length);
  return Buffer.from(hkdfSync("sha256", secret, new Uint8Array(0), info, AES_SIV_KEY_LENGTH));
}
