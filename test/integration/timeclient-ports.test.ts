/**
 * `timeclient` at ports that do not answer lines, and over TLS. A command
 * that gets no reply line (an RFC 868 port sends 4 binary bytes; a
 * --proxy-protocol port closes on a plain TIME) is a failure, exit 1, with a
 * hint on which port it may be; QUIT's close is still the normal end.
 * --tls --ca talks to --tls-port; without --ca a self-signed certificate is
 * refused with a hint; --ca without --tls and an unreadable --ca are usage
 * errors (exit 2).
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, it } from "node:test";
import { portOf, startListeners } from "../helpers/listener-ports.js";
import { CLIENT_BIN, runProgram } from "../helpers/server-process.js";
import { haveOpenssl, makeCertificate, scratchDir } from "../helpers/tls-files.js";

const JAM_LINE = /^JAM ([01]\d|2[0-3]):[0-5]\d:[0-5]\d$/;
const CLOSED = "Connection closed by server.";

/** The one stderr line, checked to be a clean `timeclient: ...` message. */
function oneLine(stderr: string): string {
  const lines = stderr.split("\n").filter((line) => line !== "");
  assert.equal(lines.length, 1, stderr);
  assert.match(lines[0] as string, /^timeclient: /);
  return lines[0] as string;
}

describe("timeclient at a port that answers no line", () => {
  it("an RFC 868 port: exit 1, saying it sent 4 bytes that are not a line, with a hint", async (t) => {
    const { ports } = await startListeners(t, ["--rfc868-port", "0"]);
    const port = portOf(ports, "rfc868");
    const result = await runProgram(CLIENT_BIN, ["--port", String(port), "TIME"]);
    assert.equal(result.code, 1);
    assert.equal(result.stdout, "");
    assert.equal(
      oneLine(result.stderr),
      `timeclient: no reply to "TIME" from 127.0.0.1:${port}: it sent 4 bytes that are not a line, then closed. ` +
        "Is it the line protocol's port? (an RFC 868 port answers 4 binary bytes; " +
        "a --proxy-protocol port wants a PROXY header first; a --tls-port wants timeclient --tls)",
    );
  });

  it("a --proxy-protocol port: exit 1, saying it closed without a reply", async (t) => {
    const { server } = await startListeners(t, ["--proxy-protocol"]);
    const result = await runProgram(CLIENT_BIN, ["--port", String(server.port), "TIME"]);
    assert.equal(result.code, 1);
    assert.match(
      oneLine(result.stderr),
      new RegExp(
        `^timeclient: no reply to "TIME" from 127\\.0\\.0\\.1:${server.port}: it closed the connection\\. `,
      ),
    );
  });

  it("QUIT's close is the answer: exit 0", async (t) => {
    const { server } = await startListeners(t, []);
    const result = await runProgram(CLIENT_BIN, ["--port", String(server.port), "QUIT"]);
    assert.deepEqual([result.code, result.stdout, result.stderr], [0, `${CLOSED}\n`, ""]);
  });
});

describe("timeclient --tls", { skip: haveOpenssl ? false : "openssl is not installed" }, () => {
  it("with --ca, asks the TLS port for the time", async (t) => {
    const cert = makeCertificate(scratchDir(t, "timeserver-tls-"), "ok");
    const { ports } = await startListeners(t, [
      "--tls-port",
      "0",
      "--tls-cert",
      cert.certFile,
      "--tls-key",
      cert.keyFile,
    ]);
    const tls = String(portOf(ports, "tls"));
    for (const host of ["127.0.0.1", "localhost"]) {
      const result = await runProgram(CLIENT_BIN, [
        "--tls",
        "--ca",
        cert.certFile,
        "--host",
        host,
        "--port",
        tls,
        "TIME",
        "QUIT",
      ]);
      assert.equal(result.stderr, "");
      assert.equal(result.code, 0);
      const lines = result.stdout.split("\n").filter((line) => line !== "");
      assert.match(lines[0] as string, JAM_LINE);
      assert.deepEqual(lines.slice(1), [CLOSED]);
    }
    // Without --ca the self-signed certificate is not trusted: one line, with what to do.
    const untrusted = await runProgram(CLIENT_BIN, ["--tls", "--port", tls, "TIME"]);
    assert.equal(untrusted.code, 1);
    assert.match(
      oneLine(untrusted.stderr),
      /^timeclient: cannot connect to 127\.0\.0\.1:\d+: .*\(pass the server's certificate or its CA with --ca\)$/,
    );
    // Plain timeclient at the TLS port: the hint names --tls.
    const plain = await runProgram(CLIENT_BIN, ["--port", tls, "TIME"]);
    assert.equal(plain.code, 1);
    assert.match(oneLine(plain.stderr), /timeclient --tls\)$/);
  });

  it("--ca without --tls, or an --ca file that cannot be read: exit 2, one line", async (t) => {
    const missing = join(scratchDir(t, "timeserver-tls-"), "missing.pem");
    const noTls = await runProgram(CLIENT_BIN, ["--ca", missing, "TIME"]);
    assert.deepEqual([noTls.code, noTls.stderr], [2, "timeclient: --ca needs --tls\n"]);
    const unreadable = await runProgram(CLIENT_BIN, ["--tls", "--ca", missing, "TIME"]);
    assert.deepEqual(
      [unreadable.code, unreadable.stderr],
      [2, `timeclient: cannot read --ca ${missing}: no such file or directory\n`],
    );
  });
});
