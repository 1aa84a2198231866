/**
 * UDP datagrams with any IPv4 source address and port, source port 0
 * included, which no socket API that binds can send. Node has no raw
 * sockets, so a short python3 program (run as root) builds each IPv4 + UDP
 * header itself and sends it on a raw socket (IPPROTO_RAW: the kernel fills
 * in the IP checksum and leaves the rest as written). The UDP checksum is 0,
 * "none", which RFC 768 allows over IPv4.
 */

import { spawn, spawnSync } from "node:child_process";

export interface RawDatagram {
  /** IPv4 source address, e.g. 127.3.4.5. */
  source: string;
  /** 0–65535; 0 is what a socket API cannot send. */
  sourcePort: number;
  destination: string;
  destinationPort: number;
  payload: Uint8Array;
}

/** The largest UDP payload one IPv4 packet carries: 65535 − 20 (IP) − 8 (UDP). */
export const MAX_UDP_PAYLOAD = 65507;

const SENDER = `
import json, socket, struct, sys
raw = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
count = 0
for line in sys.stdin:
    d = json.loads(line)
    payload = bytes.fromhex(d["payload"])
    length = 8 + len(payload)
    udp = struct.pack("!HHHH", d["sport"], d["dport"], length, 0)
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + length, 0, 0x4000, 64, 17, 0,
                     socket.inet_aton(d["src"]), socket.inet_aton(d["dst"]))
    raw.sendto(ip + udp + payload, (d["dst"], 0))
    count += 1
print(count)
`;

/** Why raw datagrams cannot be sent here (not root, no python3), or undefined when they can. */
export function rawUdpUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return "raw sockets need root";
  const probe = spawnSync(
    "python3",
    ["-c", "import socket; socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)"],
    { stdio: "ignore" },
  );
  if (probe.error !== undefined) return `python3 cannot be run: ${probe.error.message}`;
  if (probe.status !== 0) return "python3 cannot open a raw socket";
  return undefined;
}

/**
 * Send every datagram, in order; resolves once all have been handed to the
 * kernel (on loopback: delivered to the receiving socket's queue, or dropped
 * there if it is full). Rejects if the sender fails or sends fewer.
 */
export function sendRawDatagrams(datagrams: readonly RawDatagram[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn("python3", ["-c", SENDER], { stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on("error", reject);
    child.on("close", (code) => {
      if (code === 0 && Number(stdout.trim()) === datagrams.length) resolve();
      else reject(new Error(`raw sender exited ${code} after "${stdout.trim()}": ${stderr}`));
    });
    for (const datagram of datagrams) {
      child.stdin.write(
        `${JSON.stringify({
          src: datagram.source,
          sport: datagram.sourcePort,
          dst: datagram.destination,
          dport: datagram.destinationPort,
          payload: Buffer.from(datagram.payload).toString("hex"),
        })}\n`,
      );
    }
    child.stdin.end();
  });
}
