/**
 * TlsContext: the certificate and key are read at start (a bad file is a
 * TS_ERR_CONFIG naming it), re-read on reload (a bad file throws and the old
 * context stays), and every wrapped connection gets the context current at
 * its accept, with TLS 1.2 as the floor whatever Node's default says.
 */

import assert from "node:assert/strict";
import { once } from "node:events";
import { copyFileSync, writeFileSync } from "node:fs";
import net from "node:net";
import { join } from "node:path";
import { describe, it } from "node:test";
import tls from "node:tls";
import { TimeServerError } from "../../src/errors.js";
import { TlsContext } from "../../src/transport/tls-context.js";
import {
  haveOpenssl,
  makeCertificate,
  renewableCertificate,
  scratchDir,
} from "../helpers/tls-files.js";

const skip = haveOpenssl ? false : "openssl is not installed (Debian package: openssl)";

/** A loopback server whose every connection is wrapped by `context`; it keeps the server side's TLS errors. */
async function serve(
  t: { after(fn: () => unknown): void },
  context: TlsContext,
): Promise<{ port: number; errors: NodeJS.ErrnoException[] }> {
  const errors: NodeJS.ErrnoException[] = [];
  const server = net.createServer((raw) => {
    raw.on("error", () => {});
    const socket = context.wrap(raw);
    socket.on("error", (error) => errors.push(error));
    socket.on("secure", () => socket.end());
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  t.after(() => server.close());
  return { port: (server.address() as net.AddressInfo).port, errors };
}

/** Handshake with `options`; resolves with the server certificate's fingerprint, or the error. */
function handshake(port: number, options: tls.ConnectionOptions): Promise<string | Error> {
  return new Promise((resolve) => {
    const socket = tls.connect({ port, host: "127.0.0.1", servername: "localhost", ...options });
    socket.once("secureConnect", () => {
      resolve(socket.getPeerX509Certificate()?.fingerprint256 ?? "none");
      socket.destroy();
    });
    socket.once("error", (error) => resolve(error));
  });
}

function configError(pattern: RegExp) {
  return (error: unknown) => {
    assert.ok(error instanceof TimeServerError);
    assert.equal(error.code, "TS_ERR_CONFIG");
    assert.match(error.message, pattern);
    return true;
  };
}

describe("TlsContext", { skip }, () => {
  it("names a missing file", (t) => {
    const dir = scratchDir(t, "timeserver-tlsctx-");
    const cert = makeCertificate(dir, "a");
    const missing = join(dir, "nope.pem");
    assert.throws(
      () => new TlsContext(missing, cert.keyFile),
      configError(/^cannot read --tls-cert .*nope\.pem: no such file or directory$/),
    );
    assert.throws(
      () => new TlsContext(cert.certFile, missing),
      configError(/^cannot read --tls-key .*nope\.pem: no such file or directory$/),
    );
  });

  it("refuses a file that is not PEM, and a key that does not match the certificate", (t) => {
    const dir = scratchDir(t, "timeserver-tlsctx-");
    const a = makeCertificate(dir, "a");
    const b = makeCertificate(dir, "b");
    const garbage = join(dir, "garbage.pem");
    writeFileSync(garbage, "not a certificate\n");
    assert.throws(() => new TlsContext(garbage, a.keyFile), configError(/invalid TLS certificate/));
    assert.throws(
      () => new TlsContext(a.certFile, b.keyFile),
      configError(/invalid TLS certificate/),
    );
  });

  it("serves the certificate it loaded; after reload, new connections get the new one", async (t) => {
    const { a, b, certFile, keyFile, install } = renewableCertificate(t, "timeserver-tlsctx-");
    const context = new TlsContext(certFile, keyFile);
    const { port } = await serve(t, context);
    const ca = `${a.pem}${b.pem}`;
    assert.equal(await handshake(port, { ca }), a.fingerprint);

    install(b);
    context.reload();
    assert.equal(await handshake(port, { ca }), b.fingerprint);
  });

  it("keeps the old certificate when a reload finds a bad file, or a certificate without its key", async (t) => {
    const { a, b, certFile, keyFile } = renewableCertificate(t, "timeserver-tlsctx-");
    const context = new TlsContext(certFile, keyFile);
    const { port } = await serve(t, context);

    writeFileSync(certFile, "garbage\n");
    assert.throws(() => context.reload(), configError(/invalid TLS certificate/));
    assert.equal(await handshake(port, { ca: a.pem }), a.fingerprint);

    // certbot renews the certificate first and the key a moment later: a
    // reload in between must not install a certificate with the wrong key.
    copyFileSync(b.certFile, certFile);
    assert.throws(() => context.reload(), configError(/invalid TLS certificate/));
    assert.equal(await handshake(port, { ca: a.pem }), a.fingerprint);
  });

  it("refuses TLS 1.1 even when Node's default minimum would allow it", async (t) => {
    const dir = scratchDir(t, "timeserver-tlsctx-");
    const a = makeCertificate(dir, "a");
    const saved = tls.DEFAULT_MIN_VERSION;
    tls.DEFAULT_MIN_VERSION = "TLSv1";
    t.after(() => {
      tls.DEFAULT_MIN_VERSION = saved;
    });
    const { port, errors } = await serve(t, new TlsContext(a.certFile, a.keyFile));
    // SECLEVEL=0 lets the client offer TLS 1.1 at all, so the refusal is the server's.
    const old = await handshake(port, {
      ca: a.pem,
      minVersion: "TLSv1.1",
      maxVersion: "TLSv1.1",
      ciphers: "DEFAULT@SECLEVEL=0",
    });
    assert.ok(old instanceof Error, "a TLS 1.1 handshake fails");
    assert.deepEqual(
      errors.map((error) => error.code),
      ["ERR_SSL_UNSUPPORTED_PROTOCOL"],
      "the server is the side that refused",
    );
    assert.equal(
      await handshake(port, { ca: a.pem, minVersion: "TLSv1.2", maxVersion: "TLSv1.2" }),
      a.fingerprint,
    );
  });
});
