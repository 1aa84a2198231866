/**
 * RFC 867 Daytime: `Weekday, Month Day, Year HH:MM:SS-ZONE\r\n` in the
 * server's zone, over TCP (on connect, then close) and UDP (per datagram).
 */

import { DaytimeReplyCache } from "../clock/per-second-cache.js";
import { daytimeFormatter } from "../protocols/daytime.js";
import {
  type GreetingProtocol,
  GreetingService,
  type GreetingServiceOptions,
} from "./greeting-service.js";

export function createDaytimeService(
  timeZone: string | undefined,
  options: GreetingServiceOptions,
): GreetingService {
  const cache = new DaytimeReplyCache(daytimeFormatter(timeZone));
  const protocol: GreetingProtocol = {
    name: "daytime",
    request: "DAYTIME",
    replyAt: (epochMs) => cache.replyAt(epochMs),
    describe: (reply) => reply.toString("latin1", 0, reply.length - 2),
  };
  return new GreetingService(protocol, options);
}
