/**
 * The NTS Key Establishment server (RFC 8915 §4) on a TLS 1.3 connection
 * the listener has admitted and wrapped: read one request, answer with the
 * negotiated protocol and AEAD, where to send NTP (when not the defaults),
 * eight cookies and End of Message, then close. The session keys are the
 * TLS exporter's (§5.1): C2S with context 0x00, S2C with 0x01. A malformed
 * request gets an Error record; a connection that never completes is closed
 * by the listener's idle deadline, measured from the accept, so it covers
 * the handshake too.
 */

import type { TLSSocket } from "node:tls";
import type { Clock } from "../clock/clock.js";
import { AEAD_AES_SIV_CMAC_256, AES_SIV_KEY_LENGTH } from "../crypto/aes-siv.js";
import { ntsKeAnswered } from "../logging/log-events.js";
import type { Logger } from "../logging/logger.js";
import type { Counter, CounterRegistry } from "../metrics/counters.js";
import { ntsCookiesIssuedCounter, ntsKeHandshakeCounter } from "../metrics/nts-metrics.js";
import type { CookieJar } from "../protocols/nts/cookies.js";
import {
  encodeErrorResponse,
  encodeResponse,
  KeErrorCode,
  type KeReadResult,
  KeRequestReader,
  NEXT_PROTOCOL_NTPV4,
  NTS_EXPORTER_LABEL,
  NTS_KE_ALPN,
  negotiate,
} from "../protocols/nts/ke-records.js";
import type { Connection, ConnectionHandler } from "../transport/connection.js";
import type { TcpService } from "../transport/tcp-listener.js";

/** RFC 8915 §4.1.6 suggests enough cookies for eight requests. */
export const COOKIES_PER_EXCHANGE = 8;
const PROTOCOLS = [NEXT_PROTOCOL_NTPV4];
const AEADS = [AEAD_AES_SIV_CMAC_256];

export interface NtsKeServiceOptions {
  cookies: () => CookieJar;
  clock: Clock;
  logger: Logger;
  counters: CounterRegistry;
  /**
   * NTPv4 Server and Port Negotiation: the host clients should send NTP to,
   * when not this one, and the port, when not 123. Asked at each exchange,
   * since a port of 0 is known only once bound.
   */
  ntp?: () => { server?: string; port?: number };
}

export class NtsKeService implements TcpService {
  readonly name = "nts-ke";
  readonly readsRequests = true;
  private readonly results = new Map<string, Counter>();
  private readonly issued: Counter;

  constructor(private readonly options: NtsKeServiceOptions) {
    this.issued = ntsCookiesIssuedCounter(options.counters, "ke");
  }

  open(connection: Connection): void {
    connection.handler = new KeExchange(this, connection);
  }

  /** @internal */
  count(result: string): void {
    let counter = this.results.get(result);
    if (counter === undefined) {
      counter = ntsKeHandshakeCounter(this.options.counters, result);
      this.results.set(result, counter);
    }
    counter.value++;
  }

  /** @internal the response to a finished read, and the result to count. */
  respond(
    socket: TLSSocket,
    read: KeReadResult,
  ): { bytes: Buffer; result: string; detail?: string } {
    if (read.kind === "incomplete") throw new Error("respond() needs a whole request");
    if (read.kind === "error") {
      const result =
        read.code === KeErrorCode.UNRECOGNIZED_CRITICAL_RECORD
          ? "unrecognized-critical"
          : "bad-request";
      return { bytes: encodeErrorResponse(read.code), result, detail: read.detail };
    }
    const agreement = negotiate(read, PROTOCOLS, AEADS);
    if (agreement.protocol === undefined || agreement.aead === undefined) {
      return {
        bytes: encodeResponse({ agreement, cookies: [] }),
        result: agreement.protocol === undefined ? "no-protocol" : "no-aead",
      };
    }
    let keys: { aead: number; c2s: Buffer; s2c: Buffer };
    try {
      keys = {
        aead: agreement.aead,
        c2s: exportKey(socket, agreement.protocol, agreement.aead, 0),
        s2c: exportKey(socket, agreement.protocol, agreement.aead, 1),
      };
    } catch {
      return {
        bytes: encodeErrorResponse(KeErrorCode.INTERNAL_SERVER_ERROR),
        result: "internal-error",
      };
    }
    const jar = this.options.cookies();
    const now = Number(this.options.clock.nowNs() / 1_000_000_000n);
    const cookies = Array.from({ length: COOKIES_PER_EXCHANGE }, () => jar.seal(keys, now));
    this.issued.value += cookies.length;
    const bytes = encodeResponse({ agreement, cookies, ...this.options.ntp?.() });
    keys.c2s.fill(0);
    keys.s2c.fill(0);
    return { bytes, result: "ok" };
  }

  /** Counts a TLS failure (bad version, no common ALPN, a reset) of a connection that never got an answer. */
  watch = (socket: TLSSocket): TLSSocket => {
    socket.once("error", () => {
      if (!(socket as TLSSocket & { [kAnswered]?: boolean })[kAnswered]) this.count("tls-error");
    });
    return socket;
  };

  get logger(): Logger {
    return this.options.logger;
  }
}

/** The exporter context of §5.1: protocol id (16 bits) ‖ AEAD id (16 bits) ‖ direction. */
function exportKey(socket: TLSSocket, protocol: number, aead: number, direction: 0 | 1): Buffer {
  const context = Buffer.from([protocol >> 8, protocol & 0xff, aead >> 8, aead & 0xff, direction]);
  return socket.exportKeyingMaterial(AES_SIV_KEY_LENGTH, NTS_EXPORTER_LABEL, context);
}

const kAnswered = Symbol("timeserver.ntsKeAnswered");

class KeExchange implements ConnectionHandler {
  private readonly reader = new KeRequestReader();

  constructor(
    private readonly service: NtsKeService,
    private readonly connection: Connection,
  ) {}

  receive(chunk: Buffer): void {
    const read = this.reader.push(chunk);
    if (read.kind === "incomplete") return;
    const socket = this.connection.socket as TLSSocket & { [kAnswered]?: boolean };
    socket[kAnswered] = true;
    // A client that offered no ALPN at all completes the handshake without
    // one; only ntske/1 may carry the exchange (RFC 8915 §4).
    if (socket.alpnProtocol !== NTS_KE_ALPN) {
      this.service.count("no-alpn");
      this.connection.close("served");
      return;
    }
    const { bytes, result, detail } = this.service.respond(socket, read);
    this.service.count(result);
    const logger = this.service.logger;
    if (logger.infoOn) {
      const { peer, name } = this.connection;
      ntsKeAnswered(logger, peer, name, result, COOKIES_PER_EXCHANGE, detail);
    }
    this.connection.write(bytes);
    this.connection.close("served");
  }

  peerFinished(): void {
    this.service.count("incomplete");
    this.connection.close("peer-finished");
  }
}
