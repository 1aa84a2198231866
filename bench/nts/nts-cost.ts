/**
 * What one request costs the server's CPU, NTS against plain SNTP: the SNTP
 * service (with its NTS handler) called in a loop, no sockets, so the figure
 * is the protocol work alone (decrypting the cookie, verifying the
 * Authenticator, sealing fresh cookies and the reply). A rough guide for
 * docs/nts.md, not a benchmark of the server: `npm run bench` measures over
 * sockets. Each NTS row runs twice: with the native module's AES-SIV
 * (when it has one) and with the pure node:crypto one.
 *
 *   node dist/bench/nts/nts-cost.js [seconds]
 */

import { randomBytes, randomFillSync } from "node:crypto";
import { SYSTEM_CLOCK } from "../../src/clock/clock.js";
import { pureSiv, type SivFactory } from "../../src/crypto/aes-siv.js";
import { SILENT_LOGGER } from "../../src/logging/logger.js";
import { CounterRegistry } from "../../src/metrics/counters.js";
import { CookieJar } from "../../src/protocols/nts/cookies.js";
import { NtsNtpService } from "../../src/services/nts-ntp-service.js";
import { SntpService } from "../../src/services/sntp-service.js";
import { sivFactory, sivImplementation } from "../../src/transport/native-siv.js";
import { ntsRequest } from "../../test/helpers/nts-client.js";
import { datagram } from "../../test/protocols/sntp-datagrams.js";

const seconds = Number(process.argv[2] ?? 2);
const peer = { address: "127.0.0.1", port: 1 };
const keys = { aead: 15, c2s: randomBytes(32), s2c: randomBytes(32) };
const secret = randomBytes(32);
const implementations: [string, SivFactory][] = [["node:crypto", pureSiv]];
if (sivImplementation() === "native") implementations.unshift(["native", sivFactory()]);

function service(siv: SivFactory): SntpService {
  const counters = new CounterRegistry();
  const jar = new CookieJar({ secret, random: randomFillSync, siv });
  const nts = new NtsNtpService({ cookies: () => jar, logger: SILENT_LOGGER, counters, siv });
  return new SntpService({ stratum: 2, logger: SILENT_LOGGER, clock: SYSTEM_CLOCK, counters, nts });
}

const cookie = new CookieJar({ secret, random: randomFillSync }).seal(keys, Date.now() / 1000);
const rows: [string, SntpService, Buffer][] = [["plain", service(pureSiv), datagram()]];
for (const [name, siv] of implementations) {
  rows.push([`nts, 1 cookie (${name})`, service(siv), ntsRequest({ c2s: keys.c2s, cookie }).bytes]);
  rows.push([
    `nts, 1 cookie + 7 placeholders (${name})`,
    service(siv),
    ntsRequest({ c2s: keys.c2s, cookie, placeholders: 7 }).bytes,
  ]);
}

for (const [name, target, request] of rows) {
  // Warm up, then count whole requests in the time given.
  for (let i = 0; i < 2000; i++) target.handle(request, peer);
  let n = 0;
  const start = process.hrtime.bigint();
  const end = start + BigInt(Math.round(seconds * 1e9));
  let now = start;
  while (now < end) {
    for (let i = 0; i < 100; i++) target.handle(request, peer);
    n += 100;
    now = process.hrtime.bigint();
  }
  const perSecond = n / (Number(now - start) / 1e9);
  console.log(
    `${name.padEnd(46)} ${request.length.toString().padStart(4)} B  ${Math.round(perSecond).toString().padStart(8)} req/s  ${(1e6 / perSecond).toFixed(1)} µs/req`,
  );
}
