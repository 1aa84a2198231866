// Fresh SNTP clients during a flood: every ~100 ms a new socket bound to a
// new address in 127.200.0.0/16 (the flood's sources stay below 127.31) asks
// once; answered = a reply within 1 s. Prints "<ms asked> <1|0>" per probe.
// Usage: node probe.mjs <port> <seconds>
import dgram from "node:dgram";

const port = Number(process.argv[2]);
const seconds = Number(process.argv[3]);
let asked = 0;
let answered = 0;
const pending = [];
const log = [];
const ask = (i) =>
  new Promise((resolve) => {
    const askedAt = Date.now();
    const socket = dgram.createSocket("udp4");
    const done = (ok) => {
      clearTimeout(timer);
      socket.close();
      if (ok) answered++;
      log.push(`${askedAt} ${ok ? 1 : 0}`);
      resolve();
    };
    const timer = setTimeout(() => done(false), 1000);
    socket.on("message", () => done(true));
    socket.on("error", () => done(false));
    socket.bind(0, `127.200.${(i >> 8) & 255}.${i & 255 || 1}`, () => {
      const request = Buffer.alloc(48);
      request[0] = 0x23;
      asked++;
      socket.send(request, port, "127.0.0.1");
    });
  });
const end = Date.now() + seconds * 1000;
for (let i = 1; Date.now() < end; i++) {
  pending.push(ask(i));
  await new Promise((r) => setTimeout(r, 100));
}
await Promise.all(pending);
for (const line of log) console.log(line);
console.error(`probe answered ${answered} of ${asked}`);
