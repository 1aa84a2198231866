/**
 * AEAD_AES_SIV_CMAC_256 (RFC 5297), the one AEAD every NTS implementation
 * supports, built from node:crypto's AES-128 in CBC (for CMAC, RFC 4493) and
 * CTR modes, since Node has no SIV mode. The 32-byte key is two AES-128 keys:
 * the first for S2V (the synthetic IV, which is also the tag), the second
 * for CTR.
 *
 * SIV's vector of associated data is passed as an array; RFC 5297 §6's AEAD
 * interface, which NTS uses, is `[associatedData, nonce]`, both always
 * present (an empty one is still a component, as in nettle, which chrony and
 * NTPsec use). Pure computation: no clock, no I/O, no randomness.
 *
 * The work per call is a handful of native cipher objects (one CBC per CMAC,
 * one CTR); the subkeys and S2V's first block depend only on the key, so
 * they are made once per AesSiv.
 */

import { createCipheriv, timingSafeEqual } from "node:crypto";

/** RFC 5116 numbers it 15 and NTS-KE negotiates by that number. */
export const AEAD_AES_SIV_CMAC_256 = 15;
export const AES_SIV_KEY_LENGTH = 32;
/** The synthetic IV, prepended to the ciphertext, is also the tag. */
export const AES_SIV_TAG_LENGTH = 16;

const BLOCK = 16;
const ZERO_BLOCK = new Uint8Array(BLOCK);
const ZERO_IV = Buffer.alloc(BLOCK);

export class AesSiv {
  private readonly macKey: Buffer;
  private readonly ctrKey: Buffer;
  /** CMAC subkeys (RFC 4493 §2.3): for a complete last block, and for a padded one. */
  private readonly k1: Buffer;
  private readonly k2: Buffer;
  /** S2V's D after its first step: CMAC(K, 0^128), the same for every message. */
  private readonly d0: Buffer;
  /** Scratch for S2V; a single AesSiv is never re-entered (everything is synchronous). */
  private readonly d = Buffer.alloc(BLOCK);
  private readonly mac = Buffer.alloc(BLOCK);
  private readonly block = Buffer.alloc(BLOCK);

  constructor(key: Uint8Array) {
    if (key.length !== AES_SIV_KEY_LENGTH)
      throw new RangeError(`an AES-SIV-CMAC-256 key is 32 bytes, not ${key.length}`);
    this.macKey = Buffer.from(key.subarray(0, BLOCK));
    this.ctrKey = Buffer.from(key.subarray(BLOCK));
    const ecb = createCipheriv("aes-128-ecb", this.macKey, null).setAutoPadding(false);
    const l = ecb.update(ZERO_BLOCK);
    this.k1 = double(l);
    this.k2 = double(this.k1);
    this.d0 = this.cmac(ZERO_BLOCK, Buffer.alloc(BLOCK));
  }

  /**
   * Encrypts `plaintext` with the vector `associated` (for NTS:
   * `[associatedData, nonce]`); returns IV ‖ ciphertext, 16 bytes longer.
   * With `out`, writes there (at `offset`) instead of allocating.
   */
  seal(
    associated: readonly Uint8Array[],
    plaintext: Uint8Array,
    out?: Uint8Array,
    offset = 0,
  ): Buffer {
    const result =
      out === undefined
        ? Buffer.allocUnsafe(AES_SIV_TAG_LENGTH + plaintext.length)
        : Buffer.from(out.buffer, out.byteOffset + offset, AES_SIV_TAG_LENGTH + plaintext.length);
    const iv = this.s2v(associated, plaintext);
    result.set(iv, 0);
    this.ctr(iv, plaintext, result, AES_SIV_TAG_LENGTH);
    return result;
  }

  /**
   * Decrypts IV ‖ ciphertext made by `seal` with the same vector; undefined
   * when it does not verify (wrong key, altered bytes or associated data).
   */
  open(associated: readonly Uint8Array[], sealed: Uint8Array): Buffer | undefined {
    if (sealed.length < AES_SIV_TAG_LENGTH) return undefined;
    const iv = sealed.subarray(0, AES_SIV_TAG_LENGTH);
    const plaintext = Buffer.allocUnsafe(sealed.length - AES_SIV_TAG_LENGTH);
    this.ctr(iv, sealed.subarray(AES_SIV_TAG_LENGTH), plaintext, 0);
    const check = this.s2v(associated, plaintext);
    return timingSafeEqual(check, iv) ? plaintext : undefined;
  }

  /** RFC 5297 §2.4. Returns the scratch block `d`: copy it before the next call. */
  private s2v(associated: readonly Uint8Array[], last: Uint8Array): Buffer {
    const d = this.d;
    d.set(this.d0);
    for (const component of associated) {
      doubleInPlace(d);
      xorInto(d, this.cmac(component, this.mac));
    }
    if (last.length >= BLOCK) return this.cmacXorEnd(last, d);
    // T = dbl(D) xor pad(last)
    doubleInPlace(d);
    const padded = this.mac;
    padded.fill(0);
    padded.set(last);
    padded[last.length] = 0x80;
    xorInto(d, padded);
    return this.cmac(d, d);
  }

  /** AES-CMAC (RFC 4493) of `message` into `out` (which may be `message`: it is read first). */
  private cmac(message: Uint8Array, out: Buffer): Buffer {
    const length = message.length;
    const complete = length > 0 && length % BLOCK === 0;
    const lastStart = complete ? length - BLOCK : length - (length % BLOCK);
    const block = this.block;
    block.fill(0);
    block.set(message.subarray(lastStart));
    if (complete) {
      xorInto(block, this.k1);
    } else {
      block[length - lastStart] = 0x80;
      xorInto(block, this.k2);
    }
    const cbc = createCipheriv("aes-128-cbc", this.macKey, ZERO_IV).setAutoPadding(false);
    if (lastStart > 0) cbc.update(message.subarray(0, lastStart));
    out.set(cbc.update(block));
    return out;
  }

  /**
   * CMAC of (message with its last 16 bytes xored with `tail`). The changed
   * bytes may start inside a block before the final one, so the two blocks
   * around them are copied and xored; everything before goes through CBC
   * as it is.
   */
  private cmacXorEnd(message: Uint8Array, tail: Buffer): Buffer {
    const length = message.length;
    const complete = length % BLOCK === 0;
    const lastStart = complete ? length - BLOCK : length - (length % BLOCK);
    const copyStart = Math.max(0, lastStart - BLOCK);
    const copy = Buffer.allocUnsafe(lastStart + BLOCK - copyStart);
    copy.fill(0);
    copy.set(message.subarray(copyStart, length));
    const xorAt = length - BLOCK - copyStart;
    for (let i = 0; i < BLOCK; i++) copy[xorAt + i] = (copy[xorAt + i] as number) ^ (tail[i] as number);
    const finalAt = lastStart - copyStart;
    if (complete) {
      for (let i = 0; i < BLOCK; i++)
        copy[finalAt + i] = (copy[finalAt + i] as number) ^ (this.k1[i] as number);
    } else {
      copy[length - copyStart] = 0x80;
      for (let i = 0; i < BLOCK; i++)
        copy[finalAt + i] = (copy[finalAt + i] as number) ^ (this.k2[i] as number);
    }
    const cbc = createCipheriv("aes-128-cbc", this.macKey, ZERO_IV).setAutoPadding(false);
    if (copyStart > 0) cbc.update(message.subarray(0, copyStart));
    const macs = cbc.update(copy);
    tail.set(macs.subarray(macs.length - BLOCK));
    return tail;
  }

  /** AES-CTR with the IV's bits 31 and 63 cleared (RFC 5297 §2.5), into `out` at `at`. */
  private ctr(iv: Uint8Array, input: Uint8Array, out: Buffer, at: number): void {
    if (input.length === 0) return;
    const q = Buffer.from(iv);
    q[8] = (q[8] as number) & 0x7f;
    q[12] = (q[12] as number) & 0x7f;
    const ctr = createCipheriv("aes-128-ctr", this.ctrKey, q);
    const body = ctr.update(input);
    out.set(body, at);
  }
}

/** dbl() of RFC 5297 §2.3: a left shift by one bit, xoring 0x87 into the last byte on carry. */
function double(block: Uint8Array): Buffer {
  const out = Buffer.from(block);
  doubleInPlace(out);
  return out;
}

function doubleInPlace(block: Buffer): void {
  const carry = (block[0] as number) >> 7;
  for (let i = 0; i < BLOCK - 1; i++)
    block[i] = (((block[i] as number) << 1) | ((block[i + 1] as number) >> 7)) & 0xff;
  block[BLOCK - 1] = (((block[BLOCK - 1] as number) << 1) & 0xff) ^ (carry * 0x87);
}

function xorInto(target: Buffer, source: Uint8Array): void {
  for (let i = 0; i < BLOCK; i++) target[i] = (target[i] as number) ^ (source[i] as number);
}
