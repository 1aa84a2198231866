/**
 * A rough NTS-KE load: `concurrency` clients each running key exchanges
 * back to back (a full TLS 1.3 handshake, request, eight cookies) for a few
 * seconds; prints exchanges per second. Any NTS-KE server will do, so the
 * same load measures chronyd.
 *
 *   node dist/bench/nts/nts-ke-load.js <ke-port> <ca.pem> [seconds] [concurrency]
 */

import { readFileSync } from "node:fs";
import { ntsKeExchange } from "../../test/helpers/nts-ke-client.js";

const [kePort, caFile, secondsText = "3", concurrencyText = "4"] = process.argv.slice(2);
const ca = readFileSync(caFile as string, "utf8");
const deadline = Date.now() + Number(secondsText) * 1000;
let done = 0;
let failed = 0;

async function worker(): Promise<void> {
  while (Date.now() < deadline) {
    try {
      const result = await ntsKeExchange(Number(kePort), { ca });
      if (result.cookies.length === 8) done++;
      else failed++;
    } catch {
      failed++;
    }
  }
}

const start = process.hrtime.bigint();
await Promise.all(Array.from({ length: Number(concurrencyText) }, worker));
const elapsed = Number(process.hrtime.bigint() - start) / 1e9;
console.log(
  `NTS-KE to 127.0.0.1:${kePort}: ${Math.round(done / elapsed)} exchanges/s over ${elapsed.toFixed(1)} s (${concurrencyText} at once, ${failed} failed)`,
);
