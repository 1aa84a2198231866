/**
 * The TLS certificate and key of the line protocol's TLS listener, re-read on
 * request (SIGHUP after a certbot renewal): a new connection gets the context
 * current at its accept, connections already open keep theirs. A bad file at
 * start is a configuration error; at a reload it is a warning and the old
 * certificate stays in use.
 */

import { readFileSync } from "node:fs";
import type { Socket } from "node:net";
import tls from "node:tls";
import { describeSystemError, TimeServerError } from "../errors.js";

export class TlsContext {
  private current: tls.SecureContext;

  constructor(
    readonly certFile: string,
    readonly keyFile: string,
  ) {
    this.current = load(certFile, keyFile);
  }

  /** Load the files again; throws TS_ERR_CONFIG (and keeps the old context) if they are bad. */
  reload(): void {
    this.current = load(this.certFile, this.keyFile);
  }

  /** Start the server side of a TLS handshake on an admitted connection. */
  wrap = (socket: Socket): Socket =>
    new tls.TLSSocket(socket, { isServer: true, secureContext: this.current });
}

function load(certFile: string, keyFile: string): tls.SecureContext {
  let cert: Buffer;
  let key: Buffer;
  try {
    cert = readFileSync(certFile);
    key = readFileSync(keyFile);
  } catch (error) {
    const file = (error as NodeJS.ErrnoException).path ?? certFile;
    // Which flag named the file, so the user knows what to fix.
    const flag = file === keyFile && file !== certFile ? "--tls-key" : "--tls-cert";
    throw new TimeServerError(
      "TS_ERR_CONFIG",
      `cannot read ${flag} ${file}: ${describeSystemError(error)}`,
    );
  }
  try {
    return tls.createSecureContext({ cert, key, minVersion: "TLSv1.2" });
  } catch (error) {
    throw new TimeServerError(
      "TS_ERR_CONFIG",
      `invalid TLS certificate ${certFile} or key ${keyFile}: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}
