/**
 * The NTS-KE service behind a real TLS listener: a client completes the
 * exchange and gets NTPv4, AES-SIV-CMAC-256, eight cookies that hold the
 * keys of its own TLS exporter, and the Server/Port records when asked for;
 * other ALPN values and TLS 1.2 are refused with the alerts RFC 8915 names;
 * malformed requests get Error records.
 */

import assert from "node:assert/strict";
import { randomFillSync } from "node:crypto";
import { once } from "node:events";
import { describe, it } from "node:test";
import tls, { type TLSSocket } from "node:tls";
import { SILENT_LOGGER } from "../../src/logging/logger.js";
import { CounterRegistry } from "../../src/metrics/counters.js";
import { CookieJar } from "../../src/protocols/nts/cookies.js";
import { encodeRecord, encodeRequest, RecordType } from "../../src/protocols/nts/ke-records.js";
import { NtsKeService, type NtsKeServiceOptions } from "../../src/services/nts-ke-service.js";
import { TcpListener } from "../../src/transport/tcp-listener.js";
import { TlsContext } from "../../src/transport/tls-context.js";
import { ManualClock } from "../helpers/manual-clock.js";
import { ntsKeExchange } from "../helpers/nts-ke-client.js";
import { haveOpenssl, makeCertificate, scratchDir } from "../helpers/tls-files.js";

const NOW_MS = 1_795_705_876_000;
const HANDSHAKES = "timeserver_nts_ke_handshakes_total";

async function keServer(
  t: { after(fn: () => unknown): void },
  extra: Partial<NtsKeServiceOptions> = {},
) {
  const dir = scratchDir(t, "nts-ke-");
  const cert = makeCertificate(dir, "server");
  const clock = new ManualClock(NOW_MS);
  const counters = new CounterRegistry();
  const jar = new CookieJar({ secret: Buffer.alloc(32, 5), random: randomFillSync });
  const service = new NtsKeService({
    cookies: () => jar,
    clock,
    logger: SILENT_LOGGER,
    counters,
    ...extra,
  });
  const context = new TlsContext(cert.certFile, cert.keyFile, {
    minVersion: "TLSv1.3",
    alpn: "ntske/1",
  });
  const listener = new TcpListener({
    service,
    name: "nts-ke",
    host: "127.0.0.1",
    port: 0,
    maxConnections: 8,
    idleTimeoutMs: 5000,
    closeGraceMs: 1000,
    clock,
    counters,
    wrap: (socket) => service.watch(context.wrap(socket) as TLSSocket),
  });
  const { port } = await listener.listen();
  t.after(() => listener.close());
  return { port, ca: cert.pem, jar, counters, clock };
}

describe("NTS-KE service", { skip: !haveOpenssl && "no openssl" }, () => {
  it("hands out eight cookies holding the client's exporter keys", async (t) => {
    const { port, ca, jar, counters } = await keServer(t);
    const result = await ntsKeExchange(port, { ca });
    assert.deepEqual(
      result.records.map((r) => r.type),
      [
        RecordType.NEXT_PROTOCOL,
        RecordType.AEAD_ALGORITHM,
        ...Array(8).fill(RecordType.NEW_COOKIE),
        RecordType.END_OF_MESSAGE,
      ],
    );
    assert.equal(result.records[0]?.body.readUInt16BE(0), 0);
    assert.equal(result.records[1]?.body.readUInt16BE(0), 15);
    assert.equal(result.server, undefined);
    assert.equal(result.port, undefined);
    for (const cookie of result.cookies)
      assert.deepEqual(jar.open(cookie, NOW_MS / 1000), {
        aead: 15,
        c2s: result.c2s,
        s2c: result.s2c,
      });
    assert.equal(counters.total(HANDSHAKES, { result: "ok" }), 1);
  });

  it("names the NTP server and port when configured", async (t) => {
    const { port, ca } = await keServer(t, {
      ntp: () => ({ server: "ntp.example", port: 11123 }),
    });
    const result = await ntsKeExchange(port, { ca });
    assert.equal(result.server, "ntp.example");
    assert.equal(result.port, 11123);
  });

  it("refuses other ALPN values with no_application_protocol, and TLS 1.2 with protocol_version", async (t) => {
    const { port, ca, counters } = await keServer(t);
    await assert.rejects(ntsKeExchange(port, { ca, alpn: ["http/1.1"] }), {
      code: "ERR_SSL_TLSV1_ALERT_NO_APPLICATION_PROTOCOL",
    });
    await assert.rejects(ntsKeExchange(port, { ca, maxVersion: "TLSv1.2" }), {
      code: "ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION",
    });
    assert.equal(counters.total(HANDSHAKES, { result: "tls-error" }), 2);
  });

  it("closes a connection whose request never ends once the deadline has passed", {
    timeout: 30_000,
  }, async (t) => {
    const { port, ca, clock } = await keServer(t);
    const socket = tls.connect({
      host: "127.0.0.1",
      port,
      ca,
      servername: "localhost",
      ALPNProtocols: ["ntske/1"],
    });
    t.after(() => socket.destroy());
    await once(socket, "secureConnect");
    // Half a request: a Next Protocol record, no End of Message, ever.
    socket.write(encodeRequest([15]).subarray(0, 6));
    // A FIN or, when the server has not yet read the client's Finished (the
    // clock jumps before its next turn), a reset: the handshake deadline.
    socket.on("error", () => {});
    const closed = new Promise((resolve) => socket.once("close", resolve));
    // The listener's sweep runs on the injected clock: past 5 s, it closes.
    clock.advance(5500);
    await closed;
  });

  it("answers a malformed request with Bad Request and an unknown critical record with error 0", async (t) => {
    const { port, ca } = await keServer(t);
    const eom = encodeRecord(RecordType.END_OF_MESSAGE, new Uint8Array(0), true);
    const errorOf = (records: { type: number; body: Buffer }[]) =>
      records.map((r) => [r.type, r.body.length === 2 ? r.body.readUInt16BE(0) : -1]);
    const bad = await ntsKeExchange(port, { ca, request: eom });
    assert.deepEqual(errorOf(bad.records), [
      [RecordType.ERROR, 1],
      [RecordType.END_OF_MESSAGE, -1],
    ]);
    const request = encodeRequest([15]);
    const critical = Buffer.concat([
      request.subarray(0, request.length - 4),
      encodeRecord(0x1234, Buffer.from("?"), true),
      eom,
    ]);
    const unknown = await ntsKeExchange(port, { ca, request: critical });
    assert.deepEqual(errorOf(unknown.records), [
      [RecordType.ERROR, 0],
      [RecordType.END_OF_MESSAGE, -1],
    ]);
  });
});
