/**
 * Certificates for the TLS tests, made by the openssl command line as an
 * operator would (a self-signed P-256 certificate for localhost), and a real
 * ClientHello to send from a raw socket when a test must count the bytes the
 * server answers with.
 */

import { spawnSync } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { once } from "node:events";
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import tls from "node:tls";

export const haveOpenssl = spawnSync("openssl", ["version"]).error === undefined;

/** A scratch directory removed when the test (or suite) ends. */
export function scratchDir(t: { after(fn: () => unknown): void }, prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export interface Certificate {
  certFile: string;
  keyFile: string;
  /** The certificate, PEM: the `ca` a client trusts. */
  pem: string;
  /** SHA-256 fingerprint as Node shows it (AA:BB:...). */
  fingerprint: string;
}

/**
 * `openssl req -x509 -newkey ec ... -subj /CN=localhost` into `dir`, as
 * `<name>-cert.pem` and `<name>-key.pem`; with subjectAltName entries for
 * localhost and 127.0.0.1 so a verifying client accepts it by either name.
 * With another `host`, the certificate names that host alone (for tests of
 * a client refusing a certificate that does not name the server).
 */
export function makeCertificate(dir: string, name: string, host = "localhost"): Certificate {
  const certFile = join(dir, `${name}-cert.pem`);
  const keyFile = join(dir, `${name}-key.pem`);
  const result = spawnSync(
    "openssl",
    [
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:P-256",
      "-nodes",
      "-keyout",
      keyFile,
      "-out",
      certFile,
      "-days",
      "2",
      "-subj",
      `/CN=${host}`,
      "-addext",
      host === "localhost"
        ? "subjectAltName=DNS:localhost,IP:127.0.0.1"
        : `subjectAltName=DNS:${host}`,
    ],
    { encoding: "utf8" },
  );
  if (result.status !== 0) throw new Error(`openssl req failed: ${result.stderr}`);
  const pem = readFileSync(certFile, "utf8");
  return { certFile, keyFile, pem, fingerprint: new X509Certificate(pem).fingerprint256 };
}

/**
 * The first bytes Node's TLS client sends (a ClientHello record), captured
 * from a plain TCP server, so a test can replay them from a raw socket and see
 * every byte that comes back.
 */
export async function captureClientHello(): Promise<Buffer> {
  const server = net.createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const port = (server.address() as net.AddressInfo).port;
  try {
    const arrived = new Promise<Buffer>((resolve) => {
      server.once("connection", (socket) => {
        socket.once("data", (chunk: Buffer) => {
          resolve(chunk);
          socket.destroy();
        });
      });
    });
    const client = tls.connect({ port, host: "127.0.0.1", servername: "localhost" });
    client.on("error", () => {});
    const hello = await arrived;
    client.destroy();
    return hello;
  } finally {
    server.close();
  }
}

/** A TLS connection from `localAddress` that trusts `ca`; resolves once the handshake is done. */
export async function tlsConnectFrom(
  t: { after(fn: () => unknown): void },
  port: number,
  ca: string,
  localAddress = "127.0.0.1",
): Promise<tls.TLSSocket> {
  const raw = net.connect({ port, host: "127.0.0.1", localAddress });
  t.after(() => raw.destroy());
  await once(raw, "connect");
  const socket = tls.connect({ socket: raw, ca, servername: "localhost" });
  t.after(() => socket.destroy());
  await once(socket, "secureConnect");
  // Later failures show as a close (tlsRequest rejects), not as an uncaught error.
  socket.on("error", () => {});
  return socket;
}

/** Send `request` on `socket` and resolve with the text received once `count` CRLF lines are in. */
export function tlsRequest(socket: tls.TLSSocket, request: string, count: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = "";
    const onData = (chunk: Buffer) => {
      text += chunk.toString("latin1");
      if ((text.match(/\r\n/g)?.length ?? 0) >= count) {
        socket.off("data", onData);
        socket.off("close", onClose);
        resolve(text);
      }
    };
    const onClose = () => reject(new Error(`closed after ${JSON.stringify(text)}`));
    socket.on("data", onData);
    socket.once("close", onClose);
    socket.write(request);
  });
}

/**
 * Two certificates and the pair of files a server is told to read, holding
 * `a` at first; `install(b)` replaces them as a renewal would, before a reload.
 */
export function renewableCertificate(
  t: { after(fn: () => unknown): void },
  prefix: string,
): {
  a: Certificate;
  b: Certificate;
  certFile: string;
  keyFile: string;
  install(certificate: Certificate): void;
} {
  const dir = scratchDir(t, prefix);
  const a = makeCertificate(dir, "a");
  const b = makeCertificate(dir, "b");
  const certFile = join(dir, "cert.pem");
  const keyFile = join(dir, "key.pem");
  const install = (certificate: Certificate) => {
    copyFileSync(certificate.certFile, certFile);
    copyFileSync(certificate.keyFile, keyFile);
  };
  install(a);
  return { a, b, certFile, keyFile, install };
}
