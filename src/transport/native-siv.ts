/**
 * Which AES-SIV the NTS code uses: the native module's (C on Node's own
 * OpenSSL, several times cheaper per request) when it was built with it,
 * else the pure node:crypto one. TIMESERVER_NO_NATIVE=1 switches the native
 * module off, this with it. Both give the same bytes, so cookies sealed by
 * one are opened by the other (replicas may differ).
 */

import { pureSiv, type SivFactory } from "../crypto/aes-siv.js";
import { type NativeSivFunctions, nativeSivFactory } from "../crypto/native-aes-siv.js";
import { nativeBinding } from "./native-binding.js";

let chosen: { factory: SivFactory; name: "native" | "node:crypto" } | undefined;

function choose(): { factory: SivFactory; name: "native" | "node:crypto" } {
  if (chosen === undefined) {
    const binding = nativeBinding();
    chosen =
      binding?.sivSeal !== undefined && binding.sivOpen !== undefined
        ? { factory: nativeSivFactory(binding as NativeSivFunctions), name: "native" }
        : { factory: pureSiv, name: "node:crypto" };
  }
  return chosen;
}

/** The fastest AES-SIV this process has. */
export function sivFactory(): SivFactory {
  return choose().factory;
}

/** "native" or "node:crypto": which one `sivFactory` gives. */
export function sivImplementation(): "native" | "node:crypto" {
  return choose().name;
}
