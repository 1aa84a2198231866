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
import { TimeServerError } from "../errors.js";

/**
 * What a listener demands beyond the certificate: the line protocol takes
 * TLS 1.2 and up and any ALPN; NTS-KE (RFC 8915 §3) takes TLS 1.3 alone and
 * the ALPN `ntske/1`, refusing a client that offers only others with the
 * no_application_protocol alert.
 */
export interface TlsProfile {
  readonly minVersion: tls.SecureVersion;
  readonly alpn?: string;
}

const LINE_PROFILE: TlsProfile = { minVersion: "TLSv1.2" };

export class TlsContext {
  private current: tls.SecureContext;
  private readonly options: tls.TLSSocketOptions;

  constructor(
    readonly certFile: string,
    readonly keyFile: string,
    private readonly profile: TlsProfile = LINE_PROFILE,
  ) {
    this.current = load(certFile, keyFile, profile);
    const alpn = profile.alpn;
    this.options =
      alpn === undefined
        ? { isServer: true }
        : {
            isServer: true,
            // Returning undefined makes OpenSSL send no_application_protocol.
            ALPNCallback: ({ protocols }) => (protocols.includes(alpn) ? alpn : undefined),
          };
  }

  /** Load the files again; throws TS_ERR_CONFIG (and keeps the old context) if they are bad. */
  reload(): void {
    this.current = load(this.certFile, this.keyFile, this.profile);
  }

  /** Start the server side of a TLS handshake on an admitted connection. */
  wrap = (socket: Socket): Socket =>
    new tls.TLSSocket(socket, { ...this.options, secureContext: this.current });
}

function load(certFile: string, keyFile: string, profile: TlsProfile): tls.SecureContext {
  let cert: Buffer;
  let key: Buffer;
  try {
    cert = readFileSync(certFile);
    key = readFileSync(keyFile);
  } catch (error) {
    const file = (error as NodeJS.ErrnoException).path ?? certFile;
    throw new TimeServerError(
      "TS_ERR_CONFIG",
      `cannot read TLS file ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
    );
  }
  try {
    return tls.createSecureContext({ cert, key, minVersion: profile.minVersion });
  } catch (error) {
    throw new TimeServerError(
      "TS_ERR_CONFIG",
      `invalid TLS certificate ${certFile} or key ${keyFile}: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}
