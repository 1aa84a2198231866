/**
 * NTS-protected NTP through the SNTP service on a real UDP socket: an
 * authenticated request gets its Unique Identifier back and an
 * Authenticator the client's S2C key opens, holding one fresh cookie for
 * the spent one and one per placeholder; a cookie from another secret gets
 * an NTS NAK; and any single changed byte of an authenticated request gets
 * a NAK or nothing, never an answer. Plain SNTP still works beside it.
 */

import assert from "node:assert/strict";
import { randomBytes, randomFillSync } from "node:crypto";
import { describe, it } from "node:test";
import { SILENT_LOGGER } from "../../src/logging/logger.js";
import { CounterRegistry } from "../../src/metrics/counters.js";
import { COOKIE_LENGTH, CookieJar } from "../../src/protocols/nts/cookies.js";
import { NtsNtpService, SESSION_CACHE } from "../../src/services/nts-ntp-service.js";
import { SntpService } from "../../src/services/sntp-service.js";
import { ManualClock } from "../helpers/manual-clock.js";
import { checkNtsReply, ntsRequest } from "../helpers/nts-client.js";
import { udpListenerFor } from "../helpers/service-listeners.js";
import { udpClientFor } from "../helpers/udp-client.js";
import { datagram } from "../protocols/sntp-datagrams.js";

const NOW_MS = 1_795_705_876_000;
const NTS = "timeserver_nts_requests_total";

async function ntsServer(t: { after(fn: () => unknown): void }, secret = Buffer.alloc(32, 3)) {
  const clock = new ManualClock(NOW_MS);
  const counters = new CounterRegistry();
  const jar = new CookieJar({ secret, random: randomFillSync });
  const nts = new NtsNtpService({ cookies: () => jar, logger: SILENT_LOGGER, counters });
  const service = new SntpService({ stratum: 2, logger: SILENT_LOGGER, clock, counters, nts });
  const { port } = await udpListenerFor(t, service, clock, counters);
  const client = await udpClientFor(t);
  return { clock, counters, jar, port, client };
}

function session(jar: CookieJar) {
  const keys = { aead: 15, c2s: randomBytes(32), s2c: randomBytes(32) };
  return { keys, cookie: jar.seal(keys, NOW_MS / 1000) };
}

describe("NTS-protected NTP", () => {
  it("answers an authenticated request with the UID, an Authenticator and fresh cookies", async (t) => {
    const { jar, port, client, counters } = await ntsServer(t);
    const { keys, cookie } = session(jar);
    for (const placeholders of [0, 1, 3, 7]) {
      const { bytes, uid } = ntsRequest({ c2s: keys.c2s, cookie, placeholders });
      const reply = await client.request(port, bytes);
      assert.ok(reply.length <= bytes.length, "the reply is never larger than the request");
      const check = checkNtsReply(reply, uid, keys.s2c);
      assert.equal(check.kind, "ok", JSON.stringify(check));
      assert.ok(check.kind === "ok");
      assert.equal(check.cookies.length, 1 + placeholders);
      assert.equal(check.header[0], 0x24); // version 4, server mode
      assert.deepEqual(check.header.subarray(24, 32), bytes.subarray(40, 48));
      for (const fresh of check.cookies) {
        assert.equal(fresh.length, COOKIE_LENGTH);
        assert.deepEqual(jar.open(fresh, NOW_MS / 1000), keys);
      }
    }
    assert.equal(counters.total(NTS, { result: "authenticated" }), 4);
  });

  it("counts placeholders inside the encrypted part too", async (t) => {
    const { jar, port, client } = await ntsServer(t);
    const { keys, cookie } = session(jar);
    const encrypted = Buffer.alloc(108);
    encrypted.writeUInt16BE(0x0304, 0);
    encrypted.writeUInt16BE(108, 2);
    // The request must have room for the second cookie: one outer placeholder too.
    const { bytes, uid } = ntsRequest({ c2s: keys.c2s, cookie, encrypted, placeholders: 1 });
    const check = checkNtsReply(await client.request(port, bytes), uid, keys.s2c);
    assert.ok(check.kind === "ok");
    assert.equal(check.cookies.length, 3);
  });

  it("sends an NTS NAK for a cookie of another secret, with the UID and no Authenticator", async (t) => {
    const { port, client, counters } = await ntsServer(t);
    const other = new CookieJar({ secret: Buffer.alloc(32, 4), random: randomFillSync });
    const { keys, cookie } = session(other);
    const { bytes, uid } = ntsRequest({ c2s: keys.c2s, cookie });
    const reply = await client.request(port, bytes);
    assert.equal(checkNtsReply(reply, uid, keys.s2c).kind, "nak");
    assert.equal(reply.length, 48 + 36);
    assert.equal((reply[0] as number) >> 6, 3);
    assert.equal(counters.total(NTS, { result: "nak" }), 1);
  });

  it("answers any tampered byte with a NAK or nothing, never a reply", async (t) => {
    const { jar, port, client, counters } = await ntsServer(t);
    const { keys, cookie } = session(jar);
    const { bytes } = ntsRequest({ c2s: keys.c2s, cookie, placeholders: 1 });
    // Byte 0 holds the mode and version (other modes get nothing at all);
    // the transmit timestamp is authenticated like the rest of the header.
    // Each tampered request is followed by a plain barrier request, and
    // replies come back in order: whatever precedes barrier i answers request i.
    let naks = 0;
    for (let i = 0; i < bytes.length; i++) {
      const tampered = Buffer.from(bytes);
      tampered[i] = (tampered[i] as number) ^ 0x10;
      const from = client.replies.length;
      await client.send(port, tampered);
      const transmit = [0xba, 0xaa, i >> 8, i & 0xff, 0, 0, 0, 1];
      await client.send(port, datagram({ transmit }));
      const barrier = await client.waitFor(
        (r) => r.data.length === 48 && r.data.subarray(24, 32).equals(Buffer.from(transmit)),
        from,
      );
      for (const answer of client.replies.slice(from, client.replies.indexOf(barrier))) {
        assert.equal(answer.data.subarray(12, 16).toString("latin1"), "NTSN", `byte ${i}`);
        assert.equal(answer.data.length, 48 + 36);
        naks++;
      }
    }
    // The cookie's bytes are the ones whose change makes a NAK.
    assert.equal(naks, counters.total(NTS, { result: "nak" }));
    assert.ok(naks >= COOKIE_LENGTH);
    assert.equal(counters.total(NTS, { result: "authenticated" }), 0);
  });

  it("keeps answering every session when more sessions come than it keeps ciphers for", () => {
    const clock = new ManualClock(NOW_MS);
    const counters = new CounterRegistry();
    const jar = new CookieJar({ secret: Buffer.alloc(32, 3), random: randomFillSync });
    const nts = new NtsNtpService({ cookies: () => jar, logger: SILENT_LOGGER, counters });
    const service = new SntpService({ stratum: 2, logger: SILENT_LOGGER, clock, counters, nts });
    const sessions = Array.from({ length: SESSION_CACHE + 10 }, () => session(jar));
    // Twice round: the second pass finds the first sessions' ciphers evicted.
    for (const pass of [1, 2])
      for (const { keys, cookie } of sessions) {
        const { bytes, uid } = ntsRequest({ c2s: keys.c2s, cookie });
        const reply = service.handle(bytes, { address: "127.0.0.1", port: 1 });
        assert.ok(Buffer.isBuffer(reply), `pass ${pass}`);
        assert.equal(checkNtsReply(reply, uid, keys.s2c).kind, "ok", `pass ${pass}`);
      }
  });

  it("still answers plain SNTP, and SNTP with a legacy MAC, as before", async (t) => {
    const { port, client } = await ntsServer(t);
    assert.equal((await client.request(port, datagram())).length, 48);
    assert.equal((await client.request(port, datagram({ length: 68 }))).length, 48);
  });
});
