// The naive UDP peer: SNTP, RFC 868 and daytime as a Node user writes them in
// twenty-odd lines with dgram: a new Buffer and `new Date()` per datagram, the
// reply sent with a callback-less send to the address dgram reports.
// Usage: node bench/naive/naive-udp-server.mjs ntpPort rfc868Port daytimePort [host]
import dgram from "node:dgram";

const [ntpPort, rfc868Port, daytimePort] = process.argv.slice(2, 5).map(Number);
const host = process.argv[5] ?? "127.0.0.1";
const UNIX_TO_NTP = 2208988800;

function serve(name, port, answer) {
  const socket = dgram.createSocket("udp4");
  socket.on("message", (msg, rinfo) => {
    const reply = answer(msg);
    if (reply !== undefined) socket.send(reply, rinfo.port, rinfo.address);
  });
  socket.bind(port, host, () => console.log(`naive ${name} on ${host}:${socket.address().port}`));
}

serve("sntp", ntpPort, (msg) => {
  if (msg.length < 48 || (msg[0] & 7) !== 3) return undefined;
  const now = Date.now();
  const reply = Buffer.alloc(48);
  reply[0] = (msg[0] & 0x38) | 4; // the client's version, server mode
  reply[1] = 1; // stratum 1, reference "LOCL"
  reply.write("LOCL", 12, "latin1");
  msg.copy(reply, 24, 40, 48); // originate = the client's transmit time
  for (const offset of [16, 32, 40]) {
    reply.writeUInt32BE((Math.floor(now / 1000) + UNIX_TO_NTP) % 2 ** 32, offset);
    reply.writeUInt32BE(Math.floor(((now % 1000) / 1000) * 2 ** 32), offset + 4);
  }
  return reply;
});

serve("rfc868", rfc868Port, () => {
  const reply = Buffer.alloc(4);
  reply.writeUInt32BE((Math.floor(Date.now() / 1000) + UNIX_TO_NTP) % 2 ** 32);
  return reply;
});

serve("daytime", daytimePort, () => Buffer.from(`${new Date().toString()}\r\n`, "latin1"));
