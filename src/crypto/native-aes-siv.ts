/**
 * AEAD_AES_SIV_CMAC_256 in the optional native module (native/src/aes_siv.c,
 * on the OpenSSL inside Node): the same `Siv` as the pure AesSiv, byte for
 * byte, at a fraction of the cost per call, since a seal or an open is one
 * call into C with no cipher object or buffer made per AES run. The key's
 * bytes go with every call and the module keeps the AES contexts of recent
 * keys, so an instance is only its key: making one per request is cheap.
 *
 * This layer does not load the module: whoever does hands its functions to
 * `nativeSivFactory` (src/transport/native-siv.ts picks this or the pure
 * one), so the crypto layer stays below the transport layer.
 */

import {
  AES_SIV_TAG_LENGTH,
  checkSivKey,
  type Siv,
  type SivFactory,
  sealedOutput,
} from "./aes-siv.js";

/** The module's AES-SIV functions (native/src/aes_siv.c); `key` is the 32-byte key itself. */
export interface NativeSivFunctions {
  /** Writes IV ‖ ciphertext (16 + plaintext.length bytes) into `out` at `offset`. */
  sivSeal(
    key: Uint8Array,
    out: Uint8Array,
    offset: number,
    plaintext: Uint8Array,
    ...associated: Uint8Array[]
  ): void;
  /** Writes the plaintext into `out` at `offset`; false (and those bytes zeroed) when it does not verify. */
  sivOpen(
    key: Uint8Array,
    out: Uint8Array,
    offset: number,
    sealed: Uint8Array,
    ...associated: Uint8Array[]
  ): boolean;
}

const EMPTY = Buffer.alloc(0);

/** The most associated-data components the module takes in one call (NTS uses one or two). */
export const NATIVE_SIV_MAX_COMPONENTS = 8;

export class NativeAesSiv implements Siv {
  private readonly native: NativeSivFunctions;
  private readonly key: Uint8Array;

  /** `key` is kept, not copied: it must not change while this instance is used. */
  constructor(native: NativeSivFunctions, key: Uint8Array) {
    checkSivKey(key);
    this.native = native;
    this.key = key;
  }

  seal(
    associated: readonly Uint8Array[],
    plaintext: Uint8Array,
    out?: Uint8Array,
    offset = 0,
  ): Buffer {
    const result = sealedOutput(AES_SIV_TAG_LENGTH + plaintext.length, out, offset);
    this.sealInto(associated, plaintext, result, 0);
    return result;
  }

  sealInto(
    associated: readonly Uint8Array[],
    plaintext: Uint8Array,
    out: Uint8Array,
    offset: number,
  ): void {
    const n = this.native;
    // Spelled out for the usual arities: a spread call allocates an array.
    if (associated.length === 2)
      n.sivSeal(
        this.key,
        out,
        offset,
        plaintext,
        associated[0] as Uint8Array,
        associated[1] as Uint8Array,
      );
    else if (associated.length === 1)
      n.sivSeal(this.key, out, offset, plaintext, associated[0] as Uint8Array);
    else n.sivSeal(this.key, out, offset, plaintext, ...components(associated));
  }

  open(associated: readonly Uint8Array[], sealed: Uint8Array): Buffer | undefined {
    if (sealed.length < AES_SIV_TAG_LENGTH) return undefined;
    // An NTS request's Authenticator usually encrypts nothing: no buffer for that.
    const plaintext =
      sealed.length === AES_SIV_TAG_LENGTH
        ? EMPTY
        : Buffer.allocUnsafe(sealed.length - AES_SIV_TAG_LENGTH);
    const n = this.native;
    let ok: boolean;
    if (associated.length === 2)
      ok = n.sivOpen(
        this.key,
        plaintext,
        0,
        sealed,
        associated[0] as Uint8Array,
        associated[1] as Uint8Array,
      );
    else if (associated.length === 1)
      ok = n.sivOpen(this.key, plaintext, 0, sealed, associated[0] as Uint8Array);
    else ok = n.sivOpen(this.key, plaintext, 0, sealed, ...components(associated));
    return ok ? plaintext : undefined;
  }
}

function components(associated: readonly Uint8Array[]): Uint8Array[] {
  if (associated.length > NATIVE_SIV_MAX_COMPONENTS)
    throw new RangeError(
      `the native AES-SIV takes at most ${NATIVE_SIV_MAX_COMPONENTS} associated data, not ${associated.length}`,
    );
  return [...associated];
}

/** A `SivFactory` on the module's functions. */
export function nativeSivFactory(native: NativeSivFunctions): SivFactory {
  const factory = (key: Uint8Array) => new NativeAesSiv(native, key);
  return Object.assign(factory, { cheapKeys: true });
}
