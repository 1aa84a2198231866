/**
 * --tls-port over real sockets: `openssl s_client` and Node's verifying
 * client get JAM; a TLS 1.1 client is refused by the server; a bad file at
 * start is one line and exit 2. A reload (SIGHUP, or ServerRuntime.reload()
 * in a library) gives new connections the new certificate while open ones go
 * on, and a garbage file leaves the last good certificate in use, with a
 * warning.
 */

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type tls from "node:tls";
import { parseServerCommand } from "../../src/config/server-config.js";
import { ServerRuntime } from "../../src/server/server-runtime.js";
import { Cleanups, portOf, startListeners } from "../helpers/listener-ports.js";
import { recordingLogger } from "../helpers/recording-logger.js";
import { runProgram, SERVER_BIN, type ServerProcess } from "../helpers/server-process.js";
import {
  type Certificate,
  haveOpenssl,
  makeCertificate,
  renewableCertificate,
  scratchDir,
  tlsConnectFrom,
  tlsRequest,
} from "../helpers/tls-files.js";
import { TIME_REPLY } from "../helpers/wire-client.js";

const skip = haveOpenssl ? false : "openssl is not installed (Debian package: openssl)";

/** Run `openssl args...` with `input` on stdin; resolves with its exit code and output. */
function openssl(
  args: string[],
  input: string,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn("openssl", args, { stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on("close", (code) => resolve({ code, stdout, stderr }));
    child.stdin.on("error", () => {});
    child.stdin.end(input);
  });
}

describe("--tls-port", { skip }, () => {
  const cleanups = new Cleanups();
  let server: ServerProcess;
  let port: number;
  let cert: Certificate;
  after(() => cleanups.run());
  before(async () => {
    cert = makeCertificate(scratchDir(cleanups, "timeserver-tls-"), "server");
    const started = await startListeners(cleanups, [
      "--tls-port",
      "0",
      "--tls-cert",
      cert.certFile,
      "--tls-key",
      cert.keyFile,
    ]);
    server = started.server;
    port = portOf(started.ports, "tls");
  });

  it("openssl s_client -quiet with TIME and QUIT on stdin prints JAM hh:mm:ss", async () => {
    const result = await openssl(
      [
        "s_client",
        "-connect",
        `127.0.0.1:${port}`,
        "-quiet",
        "-CAfile",
        cert.certFile,
        "-servername",
        "localhost",
        "-verify_return_error",
      ],
      "TIME\r\nQUIT\r\n",
    );
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^JAM ([01]\d|2[0-3]):[0-5]\d:[0-5]\d\r\n$/);
  });

  it("Node's tls.connect, verifying against the certificate, gets the reply over TLS 1.2 or later", async (t) => {
    const socket = await tlsConnectFrom(t, port, cert.pem);
    assert.ok(socket.authorized);
    assert.match(socket.getProtocol() ?? "", /^TLSv1\.[23]$/);
    assert.match(await tlsRequest(socket, "TIME\r\n", 1), TIME_REPLY);
  });

  it("refuses a TLS 1.1 client with a protocol-version alert, logged as one line", async () => {
    const from = server.lines.length;
    // SECLEVEL=0 lets this OpenSSL offer TLS 1.1 at all, so it is the server that says no.
    const result = await openssl(
      [
        "s_client",
        "-connect",
        `127.0.0.1:${port}`,
        "-quiet",
        "-tls1_1",
        "-cipher",
        "DEFAULT@SECLEVEL=0",
      ],
      "TIME\r\nQUIT\r\n",
    );
    assert.notEqual(result.code, 0);
    assert.doesNotMatch(result.stdout, /JAM/);
    assert.match(result.stderr, /alert protocol version/);
    const line = await server.waitForLine(/TLS error from 127\.0\.0\.1:\d+: /, from);
    assert.match(line, /: unsupported protocol \(tls\)$/);
    await server.waitForLine(/Connection closed from 127\.0\.0\.1:\d+$/, from);
    assert.ok(
      server.lines.slice(from).every((logged) => /^\S+ \[[A-Z]+\] /.test(logged)),
      `every log line is a whole line: ${JSON.stringify(server.lines.slice(from))}`,
    );
  });
});

/** Start with these TLS files, expecting exit 2 and exactly one line on stderr; that line. */
async function failingStart(certFile: string, keyFile: string): Promise<string> {
  const result = await runProgram(SERVER_BIN, [
    "--port",
    "0",
    "--tls-port",
    "0",
    "--tls-cert",
    certFile,
    "--tls-key",
    keyFile,
  ]);
  assert.equal(result.code, 2);
  const lines = result.stderr.split("\n").filter((line) => line !== "");
  assert.equal(lines.length, 1, result.stderr);
  return lines[0] as string;
}

describe("--tls-cert / --tls-key at start-up", { skip }, () => {
  it("a missing file: exit 2 with one line naming it", async (t) => {
    const cert = makeCertificate(scratchDir(t, "timeserver-tls-"), "ok");
    const missing = join(scratchDir(t, "timeserver-tls-"), "missing.pem");
    assert.equal(
      await failingStart(missing, cert.keyFile),
      `timeserver: cannot read --tls-cert ${missing}: no such file or directory`,
    );
    assert.equal(
      await failingStart(cert.certFile, missing),
      `timeserver: cannot read --tls-key ${missing}: no such file or directory`,
    );
  });

  it("a file that is not a certificate: exit 2 with one line", async (t) => {
    const dir = scratchDir(t, "timeserver-tls-");
    const cert = makeCertificate(dir, "ok");
    const garbage = join(dir, "garbage.pem");
    writeFileSync(garbage, "not a certificate\n");
    assert.match(
      await failingStart(garbage, cert.keyFile),
      /^timeserver: invalid TLS certificate /,
    );
  });
});

/** Fingerprint of the certificate the server presented on `socket`. */
function presented(socket: tls.TLSSocket): string {
  const certificate = socket.getPeerX509Certificate();
  assert.ok(certificate !== undefined);
  return certificate.fingerprint256;
}

describe("reloading the certificate", { skip }, () => {
  it("ServerRuntime.reload(): new connections get the new certificate, open ones go on; a garbage file keeps the last good one", async (t) => {
    const { a, b, certFile, keyFile, install } = renewableCertificate(t, "timeserver-reload-");
    const command = parseServerCommand(
      [
        "--host",
        "127.0.0.1",
        "--port",
        "0",
        "--tls-port",
        "0",
        "--tls-cert",
        certFile,
        "--tls-key",
        keyFile,
      ],
      {},
    );
    assert.equal(command.kind, "run");
    if (command.kind !== "run") return;
    const { logger, sink } = recordingLogger();
    const runtime = new ServerRuntime(command.config, logger);
    await runtime.listen();
    t.after(() => runtime.close());
    const listener = runtime.listeners.find((each) => each.name === "tls");
    const port = listener?.address()?.port;
    assert.ok(port !== undefined);
    const ca = `${a.pem}${b.pem}`;

    const first = await tlsConnectFrom(t, port, ca);
    assert.equal(presented(first), a.fingerprint);
    assert.match(await tlsRequest(first, "TIME\r\n", 1), TIME_REPLY);

    install(b);
    runtime.reload();
    assert.equal(sink.find("info", /^Reloaded the TLS certificate /).length, 1);

    const second = await tlsConnectFrom(t, port, ca);
    assert.equal(presented(second), b.fingerprint);
    assert.match(await tlsRequest(second, "TIME\r\n", 1), TIME_REPLY);
    // The connection opened on certificate A before the reload is still served.
    assert.match(await tlsRequest(first, "TIME\r\n", 1), TIME_REPLY);

    writeFileSync(certFile, "-----BEGIN CERTIFICATE-----\ngarbage\n-----END CERTIFICATE-----\n");
    runtime.reload();
    const warnings = sink.find("warn", /^Kept the old TLS certificate: /);
    assert.equal(warnings.length, 1);
    assert.ok(warnings[0]!.message.includes(certFile), warnings[0]!.message);

    const third = await tlsConnectFrom(t, port, ca);
    assert.equal(presented(third), b.fingerprint, "the last good certificate stays in use");
    assert.match(await tlsRequest(third, "TIME\r\n", 1), TIME_REPLY);
    for (const open of [first, second]) {
      assert.match(await tlsRequest(open, "TIME\r\n", 1), TIME_REPLY);
    }
  });

  it("through the process: SIGHUP reloads the same way, and the server keeps running", async (t) => {
    const { a, b, certFile, keyFile, install } = renewableCertificate(t, "timeserver-sighup-");
    const { server, ports } = await startListeners(t, [
      "--tls-port",
      "0",
      "--tls-cert",
      certFile,
      "--tls-key",
      keyFile,
    ]);
    const port = portOf(ports, "tls");
    const ca = `${a.pem}${b.pem}`;
    const first = await tlsConnectFrom(t, port, ca);
    assert.equal(presented(first), a.fingerprint);

    install(b);
    server.child.kill("SIGHUP");
    await server.waitForLine(/\[INFO\] Reloaded the TLS certificate /);
    const second = await tlsConnectFrom(t, port, ca);
    assert.equal(presented(second), b.fingerprint);
    assert.match(await tlsRequest(first, "TIME\r\n", 1), TIME_REPLY);

    writeFileSync(certFile, "garbage\n");
    server.child.kill("SIGHUP");
    await server.waitForLine(/\[WARN\] Kept the old TLS certificate: /);
    const third = await tlsConnectFrom(t, port, ca);
    assert.equal(presented(third), b.fingerprint);
    for (const open of [first, second, third]) {
      assert.match(await tlsRequest(open, "TIME\r\n", 1), TIME_REPLY);
    }
    assert.equal(server.hasExitedYet, false);
  });
});
