/**
 * RFC 868 Time: four bytes, big-endian, seconds since 1900 mod 2^32, over
 * TCP (on connect, then close) and UDP (per datagram).
 */

import { encodeRfc868 } from "../protocols/rfc868.js";
import {
  type GreetingProtocol,
  GreetingService,
  type GreetingServiceOptions,
} from "./greeting-service.js";

const protocol: GreetingProtocol = {
  name: "rfc868",
  request: "RFC 868 TIME",
  replyAt: encodeRfc868,
  describe: (reply, epochMs) =>
    `${reply.readUInt32BE(0)} (${new Date(Math.floor(epochMs / 1000) * 1000).toISOString()})`,
};

export function createRfc868Service(options: GreetingServiceOptions): GreetingService {
  return new GreetingService(protocol, options);
}
