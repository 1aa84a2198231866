/**
 * AEAD_AES_SIV_CMAC_256 (RFC 5297), the one AEAD every NTS implementation
 * supports, built from node:crypto's AES-128 (Node has no SIV mode). The
 * 32-byte key is two AES-128 keys: the first for S2V (CMAC, RFC 4493; the
 * synthetic IV it makes is also the tag), the second for CTR.
 *
 * SIV's vector of associated data is passed as an array; RFC 5297 §6's AEAD
 * interface, which NTS uses, is `[associatedData, nonce]`, both always
 * present (an empty one is still a component, as in nettle, which chrony and
 * NTPsec use). Pure computation: no clock, no I/O, no randomness.
 *
 * Speed: making a node:crypto cipher object costs several microseconds,
 * more than running it over a whole NTS packet, and an NTS request needs a
 * fresh key for each direction. So each key gets at most two objects, made
 * once: one AES-128-CBC object that every CMAC shares (a CBC chain restarts
 * at a zero IV by xoring the previous output block into the next message's
 * first block), and one AES-128-ECB object, made only when there is
 * something to encrypt, that turns a block of counters into CTR's key
 * stream. Each CMAC or CTR run is one native call.
 *
 * The optional native module does the same in C on OpenSSL's AES with no
 * object or buffer per AES run (native-aes-siv.ts): a server picks it
 * through a `SivFactory` when it is there, and this class is the fallback
 * and the reference both are tested against.
 */

import { type Cipher, createCipheriv, timingSafeEqual } from "node:crypto";

/** RFC 5116 numbers it 15 and NTS-KE negotiates by that number. */
export const AEAD_AES_SIV_CMAC_256 = 15;
export const AES_SIV_KEY_LENGTH = 32;
/** The synthetic IV, prepended to the ciphertext, is also the tag. */
export const AES_SIV_TAG_LENGTH = 16;

const BLOCK = 16;
const ZERO_IV = Buffer.alloc(BLOCK);
const SHARED_D = Buffer.alloc(BLOCK);
const SHARED_IV = Buffer.alloc(BLOCK);
/** A growable copy of each CMAC's message, shared by every AesSiv: a request makes several. */
let scratch = Buffer.alloc(2048);

/** One AES-SIV key: what this class and the native one (native-aes-siv.ts) both offer. */
export interface Siv {
  /**
   * Encrypts `plaintext` with the vector `associated` (for NTS:
   * `[associatedData, nonce]`); returns IV ‖ ciphertext, 16 bytes longer.
   * With `out`, writes there (at `offset`) and returns a view of it.
   */
  seal(
    associated: readonly Uint8Array[],
    plaintext: Uint8Array,
    out?: Uint8Array,
    offset?: number,
  ): Buffer;
  /** `seal` into `out` at `offset`, returning nothing (no view made). */
  sealInto(
    associated: readonly Uint8Array[],
    plaintext: Uint8Array,
    out: Uint8Array,
    offset: number,
  ): void;
  /**
   * Decrypts IV ‖ ciphertext made by `seal` with the same vector; undefined
   * when it does not verify (another key, altered bytes or associated data).
   */
  open(associated: readonly Uint8Array[], sealed: Uint8Array): Buffer | undefined;
}

/** Makes the `Siv` of a 32-byte key: the pure one or the native one. */
export interface SivFactory {
  (key: Uint8Array): Siv;
  /**
   * True when making a `Siv` costs next to nothing (the native one keeps
   * recent keys' AES contexts itself), so callers need not keep them.
   */
  readonly cheapKeys?: boolean;
}

/** The pure node:crypto implementation, the default everywhere no factory is given. */
export const pureSiv: SivFactory = (key) => new AesSiv(key);

/** Both implementations' key rule: 32 bytes, two AES-128 keys. */
export function checkSivKey(key: Uint8Array): void {
  if (key.length !== AES_SIV_KEY_LENGTH)
    throw new RangeError(`an AES-SIV-CMAC-256 key is 32 bytes, not ${key.length}`);
}

/** Where `seal` writes IV ‖ ciphertext: a new buffer, or a view of `out` at `offset`. */
export function sealedOutput(length: number, out: Uint8Array | undefined, offset: number): Buffer {
  return out === undefined
    ? Buffer.allocUnsafe(length)
    : Buffer.from(out.buffer, out.byteOffset + offset, length);
}

export class AesSiv implements Siv {
  private readonly cbc: Cipher;
  private ecb: Cipher | undefined;
  private readonly ctrKey: Buffer;
  /** The CBC chain's last output block: xored into the next CMAC's first block, it restarts the chain at zero. */
  private readonly chain = Buffer.alloc(BLOCK);
  /** CMAC subkeys (RFC 4493 §2.3): for a complete last block, and for a padded one. */
  private readonly k1: Buffer;
  private readonly k2: Buffer;
  /** S2V's D after its first step: CMAC(K, 0^128), the same for every message. */
  private readonly d0: Buffer;
  /** S2V's D and the IV of a seal: shared, since no call is ever re-entered (all synchronous). */
  private readonly d = SHARED_D;
  private readonly iv = SHARED_IV;

  constructor(key: Uint8Array) {
    checkSivKey(key);
    this.cbc = createCipheriv("aes-128-cbc", key.subarray(0, BLOCK), ZERO_IV).setAutoPadding(false);
    this.ctrKey = Buffer.from(key.subarray(BLOCK));
    // L = AES(K, 0): the chain starts at zero, so this is the first block's output.
    const l = this.cbc.update(ZERO_IV);
    this.chain.set(l);
    this.k1 = double(l);
    this.k2 = double(this.k1);
    this.d0 = Buffer.from(this.cmac(ZERO_IV, undefined));
  }

  /**
   * Encrypts `plaintext` with the vector `associated` (for NTS:
   * `[associatedData, nonce]`); returns IV ‖ ciphertext, 16 bytes longer.
   * With `out`, writes there (at `offset`) and returns a view of it.
   */
  seal(
    associated: readonly Uint8Array[],
    plaintext: Uint8Array,
    out?: Uint8Array,
    offset = 0,
  ): Buffer {
    const result = sealedOutput(AES_SIV_TAG_LENGTH + plaintext.length, out, offset);
    const iv = this.s2v(associated, plaintext);
    this.iv.set(iv);
    this.ctr(this.iv, plaintext, result, AES_SIV_TAG_LENGTH);
    result.set(this.iv, 0);
    return result;
  }

  sealInto(
    associated: readonly Uint8Array[],
    plaintext: Uint8Array,
    out: Uint8Array,
    offset: number,
  ): void {
    this.seal(associated, plaintext, out, offset);
  }

  /**
   * Decrypts IV ‖ ciphertext made by `seal` with the same vector; undefined
   * when it does not verify (another key, altered bytes or associated data).
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
      xorInto(d, this.cmac(component, undefined));
    }
    if (last.length >= BLOCK) {
      // T = last xorend D
      d.set(this.cmac(last, d));
      return d;
    }
    // T = dbl(D) xor pad(last)
    doubleInPlace(d);
    for (let i = 0; i < last.length; i++) d[i] = (d[i] as number) ^ (last[i] as number);
    d[last.length] = (d[last.length] as number) ^ 0x80;
    d.set(this.cmac(d, undefined));
    return d;
  }

  /**
   * AES-CMAC (RFC 4493) of `message`, its last 16 bytes first xored with
   * `xorEnd` when given (S2V's xorend). Returns a view valid until the next call.
   */
  private cmac(message: Uint8Array, xorEnd: Uint8Array | undefined): Buffer {
    const length = message.length;
    const complete = length > 0 && length % BLOCK === 0;
    const padded = complete ? length : length - (length % BLOCK) + BLOCK;
    if (scratch.length < padded) scratch = Buffer.alloc(padded * 2);
    const m = scratch;
    m.set(message);
    if (xorEnd !== undefined) {
      const at = length - BLOCK;
      for (let i = 0; i < BLOCK; i++) m[at + i] = (m[at + i] as number) ^ (xorEnd[i] as number);
    }
    const lastStart = padded - BLOCK;
    if (complete) {
      xorInto(m, this.k1, lastStart);
    } else {
      m.fill(0, length, padded);
      m[length] = 0x80;
      xorInto(m, this.k2, lastStart);
    }
    xorInto(m, this.chain, 0);
    const out = this.cbc.update(m.subarray(0, padded));
    const mac = out.subarray(padded - BLOCK);
    this.chain.set(mac);
    return mac;
  }

  /** AES-CTR with the IV's bits 31 and 63 cleared (RFC 5297 §2.5), into `out` at `at`. */
  private ctr(iv: Uint8Array, input: Uint8Array, out: Buffer, at: number): void {
    const length = input.length;
    if (length === 0) return;
    if (this.ecb === undefined)
      this.ecb = createCipheriv("aes-128-ecb", this.ctrKey, null).setAutoPadding(false);
    const blocks = Math.ceil(length / BLOCK);
    const counters = Buffer.allocUnsafe(blocks * BLOCK);
    counters.set(iv.subarray(0, BLOCK));
    counters[8] = (counters[8] as number) & 0x7f;
    counters[12] = (counters[12] as number) & 0x7f;
    // With bit 31 clear the low 32 bits cannot wrap within 2^31 blocks, so
    // counting in them alone is the full 128-bit increment.
    const low = counters.readUInt32BE(12);
    for (let b = 1; b < blocks; b++) {
      counters.copy(counters, b * BLOCK, 0, 12);
      counters.writeUInt32BE(low + b, b * BLOCK + 12);
    }
    const stream = this.ecb.update(counters);
    for (let i = 0; i < length; i++) out[at + i] = (input[i] as number) ^ (stream[i] as number);
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

function xorInto(target: Buffer, source: Uint8Array, at = 0): void {
  for (let i = 0; i < BLOCK; i++)
    target[at + i] = (target[at + i] as number) ^ (source[i] as number);
}
