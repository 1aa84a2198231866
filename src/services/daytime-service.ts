/**
 * RFC 867 Daytime: `Weekday, Month Day, Year HH:MM:SS-ZONE\r\n` in the
 * server's zone, over TCP (on connect, then close) and UDP (per datagram).
 */

import { PerSecondCache } from "../clock/per-second-cache.js";
import { daytimeFormatter, encodeDaytime } from "../protocols/daytime.js";
import {
  type GreetingProtocol,
  GreetingService,
  type GreetingServiceOptions,
} from "./greeting-service.js";

export function createDaytimeService(
  timeZone: string | undefined,
  options: GreetingServiceOptions,
): GreetingService {
  const format = daytimeFormatter(timeZone);
  // The reply bytes are never written after they are made, so every client may share them.
  const cache = new PerSecondCache((epochMs) => encodeDaytime(epochMs, format));
  const protocol: GreetingProtocol = {
    name: "daytime",
    request: "DAYTIME",
    replyAt: (epochMs) => cache.at(epochMs),
    describe: (reply) => reply.toString("latin1", 0, reply.length - 2),
  };
  return new GreetingService(protocol, options);
}
