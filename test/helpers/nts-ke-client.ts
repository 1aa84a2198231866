/**
 * The client side of NTS-KE (RFC 8915 §4) for tests: a TLS 1.3 connection
 * offering ALPN ntske/1, a request, every record of the response, and the
 * two keys from the client's own exporter, to check against what the server
 * put in its cookies.
 */

import { once } from "node:events";
import tls from "node:tls";
import {
  decodeRecords,
  encodeRequest,
  type KeRecord,
  NTS_EXPORTER_LABEL,
  RecordType,
} from "../../src/protocols/nts/ke-records.js";

export interface KeExchangeResult {
  records: KeRecord[];
  cookies: Buffer[];
  c2s: Buffer;
  s2c: Buffer;
  server: string | undefined;
  port: number | undefined;
}

export interface KeExchangeOptions {
  ca: string;
  alpn?: string[];
  request?: Buffer;
  maxVersion?: tls.SecureVersion;
  servername?: string;
}

/** Runs one exchange; rejects with the TLS error when the handshake fails. */
export async function ntsKeExchange(
  port: number,
  options: KeExchangeOptions,
): Promise<KeExchangeResult> {
  const socket = tls.connect({
    host: "127.0.0.1",
    port,
    ca: options.ca,
    servername: options.servername ?? "localhost",
    ALPNProtocols: options.alpn ?? ["ntske/1"],
    ...(options.maxVersion === undefined ? {} : { maxVersion: options.maxVersion }),
  });
  try {
    await once(socket, "secureConnect");
    const chunks: Buffer[] = [];
    socket.on("data", (chunk: Buffer) => chunks.push(chunk));
    socket.write(options.request ?? encodeRequest([15]));
    await once(socket, "end");
    const records = decodeRecords(Buffer.concat(chunks)) ?? [];
    const context = (direction: number) => Buffer.from([0, 0, 0, 15, direction]);
    const c2s = socket.exportKeyingMaterial(32, NTS_EXPORTER_LABEL, context(0));
    const s2c = socket.exportKeyingMaterial(32, NTS_EXPORTER_LABEL, context(1));
    const server = records.find((r) => r.type === RecordType.NTPV4_SERVER)?.body.toString("ascii");
    const portRecord = records.find((r) => r.type === RecordType.NTPV4_PORT);
    return {
      records,
      cookies: records
        .filter((r) => r.type === RecordType.NEW_COOKIE)
        .map((r) => Buffer.from(r.body)),
      c2s,
      s2c,
      server,
      port: portRecord?.body.readUInt16BE(0),
    };
  } finally {
    socket.destroy();
  }
}
