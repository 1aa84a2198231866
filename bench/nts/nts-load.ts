/**
 * A rough NTS load: one NTS-KE exchange for keys and a cookie, then NTS
 * requests (or plain SNTP ones) kept `window` in flight over UDP for a few
 * seconds, counting authenticated replies. The requests are made in advance
 * (a server keeps no state between requests, so one cookie can be replayed)
 * so the client spends its CPU on sockets, not on cryptography. Any NTS
 * server will do, so the same load measures chronyd.
 *
 *   node dist/bench/nts/nts-load.js <ke-port> <ca.pem> [seconds] [window] [plain-ntp-port]
 */

import dgram from "node:dgram";
import { readFileSync } from "node:fs";
import { checkNtsReply, ntsRequest } from "../../test/helpers/nts-client.js";
import { ntsKeExchange } from "../../test/helpers/nts-ke-client.js";
import { datagram } from "../../test/protocols/sntp-datagrams.js";

const [kePort, caFile, secondsText = "3", windowText = "32", plainText] = process.argv.slice(2);
const seconds = Number(secondsText);
const window = Number(windowText);
const ca = readFileSync(caFile as string, "utf8");
const session = await ntsKeExchange(Number(kePort), { ca });
const ntpPort = session.port ?? 123;
const cookie = session.cookies[0] as Buffer;

const COUNT = 1024;
const requests: Buffer[] = [];
const uids: Uint8Array[] = [];
for (let i = 0; i < COUNT; i++) {
  const transmit = [0xab, 0xcd, i >> 8, i & 0xff, 0, 0, 0, 1];
  if (plainText !== undefined) {
    requests.push(datagram({ transmit }));
  } else {
    const { bytes, uid } = ntsRequest({ c2s: session.c2s, cookie, transmit });
    requests.push(bytes);
    uids.push(uid);
  }
}
const port = plainText === undefined ? ntpPort : Number(plainText);
// One reply in 64 is fully checked (UID, Authenticator, cookie), so a
// server that answers with garbage cannot score.
let checked = 0;
const socket = dgram.createSocket("udp4");
let replies = 0;
let next = 0;
let running = true;
socket.on("message", (reply) => {
  replies++;
  if (plainText === undefined && (replies & 63) === 0) {
    const index = reply.readUInt16BE(26);
    const verdict = checkNtsReply(reply, uids[index] as Uint8Array, session.s2c);
    if (verdict.kind !== "ok") throw new Error(`bad reply: ${JSON.stringify(verdict)}`);
    checked++;
  }
  if (running) send();
});
function send(): void {
  socket.send(requests[next] as Buffer, port, "127.0.0.1");
  next = (next + 1) % COUNT;
}
socket.bind(0, "127.0.0.1", () => {
  for (let i = 0; i < window; i++) send();
  // Lost datagrams would shrink the window: top it up each 50 ms.
  const topUp = setInterval(() => {
    for (let i = 0; i < 4; i++) send();
  }, 50);
  const start = process.hrtime.bigint();
  const startReplies = replies;
  setTimeout(() => {
    running = false;
    clearInterval(topUp);
    const elapsed = Number(process.hrtime.bigint() - start) / 1e9;
    const rate = (replies - startReplies) / elapsed;
    console.log(
      `${plainText === undefined ? "NTS" : "plain SNTP"} to 127.0.0.1:${port}: ${Math.round(rate)} replies/s over ${elapsed.toFixed(1)} s (window ${window}, ${checked} replies checked)`,
    );
    socket.close();
  }, seconds * 1000);
});
