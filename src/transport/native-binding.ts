/**
 * The optional native module (native/, built by node-gyp at install), loaded
 * once, inside a try: when it is missing, failed to build, is for another
 * platform or is switched off with TIMESERVER_NO_NATIVE=1 (as ws does with
 * WS_NO_BUFFER_UTIL), `nativeBinding()` is undefined and `nativeMissing()`
 * says why, and the server uses Node's dgram instead.
 */

import { createRequire } from "node:module";
import type { KernelClockState } from "../clock/served-clock.js";
import type { NativeSivFunctions } from "../crypto/native-aes-siv.js";

/** An open native socket; only the binding reads it. */
export type NativeSocket = object;

/** The AES-SIV functions are there only when the module was built with OpenSSL's headers and runs where its symbols are (native-siv.ts). */
export interface NativeBinding extends Partial<NativeSivFunctions> {
  /** Datagrams per batch, bytes per datagram slot, int32s per datagram record. */
  readonly BATCH: number;
  readonly SLOT: number;
  readonly META_INTS: number;
  /**
   * Binds a new socket (`fd` < 0), with SO_REUSEPORT when `reusePort`, or
   * adopts the bound socket `fd`; throws an errno error.
   */
  open(family: 4 | 6, address: string, port: number, fd: number, reusePort: boolean): NativeSocket;
  address(socket: NativeSocket): { address: string; port: number; family: string };
  start(
    socket: NativeSocket,
    rx: ArrayBuffer,
    tx: ArrayBuffer,
    meta: ArrayBuffer,
    onBatch: (count: number) => void,
  ): void;
  close(socket: NativeSocket): void;
  ref(socket: NativeSocket, on: boolean): void;
  clockState(): KernelClockState;
  /** CLOCK_REALTIME into out[0] (seconds) and out[1] (nanoseconds). */
  realtime(out: Float64Array): void;
}

/** From dist/src/transport/ (and src/transport/) to the package root. */
const MODULE_PATH = "../../../native/build/Release/timeserver_native.node";

let loaded: NativeBinding | undefined;
let missing: string | undefined;
let tried = false;

function load(): void {
  tried = true;
  if (process.env.TIMESERVER_NO_NATIVE === "1") {
    missing = "switched off by TIMESERVER_NO_NATIVE=1";
    return;
  }
  try {
    loaded = createRequire(import.meta.url)(MODULE_PATH) as NativeBinding;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    missing =
      code === "MODULE_NOT_FOUND"
        ? "the native module was not built (npm run build:native)"
        : `the native module did not load: ${(error as Error).message.split("\n")[0]}`;
  }
}

export function nativeBinding(): NativeBinding | undefined {
  if (!tried) load();
  return loaded;
}

/** Why there is no native binding, or undefined when there is one. */
export function nativeMissing(): string | undefined {
  if (!tried) load();
  return missing;
}
