/**
 * The daytime service in a configured zone, over real TCP and UDP sockets
 * with an injected clock: the RFC 867 line shows the zone's local date and
 * time and the zone's short name, including when the zone's date is not UTC's.
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { SILENT_LOGGER } from "../../src/logging/logger.js";
import { CounterRegistry } from "../../src/metrics/counters.js";
import { createDaytimeService } from "../../src/services/daytime-service.js";
import { ManualClock } from "../helpers/manual-clock.js";
import { tcpListenerFor, udpListenerFor } from "../helpers/service-listeners.js";
import { udpClientFor } from "../helpers/udp-client.js";
import { exchange } from "../helpers/wire-client.js";

const NOON_UTC = Date.UTC(2026, 10, 26, 12, 0, 0);
const LATE_UTC = Date.UTC(2026, 10, 26, 23, 30, 5);

const CASES: { zone: string; at: number; line: string }[] = [
  { zone: "UTC", at: NOON_UTC, line: "Thursday, November 26, 2026 12:00:00-UTC\r\n" },
  { zone: "Asia/Jakarta", at: NOON_UTC, line: "Thursday, November 26, 2026 19:00:00-GMT+7\r\n" },
  { zone: "America/New_York", at: NOON_UTC, line: "Thursday, November 26, 2026 07:00:00-EST\r\n" },
  // Already tomorrow there: the date, weekday and hour are the zone's.
  { zone: "Asia/Kolkata", at: LATE_UTC, line: "Friday, November 27, 2026 05:00:05-GMT+5:30\r\n" },
  // Still yesterday's evening there, one second before its midnight.
  {
    zone: "America/Los_Angeles",
    at: Date.UTC(2026, 10, 27, 7, 59, 59),
    line: "Thursday, November 26, 2026 23:59:59-PST\r\n",
  },
];

describe("daytime service in a zone", () => {
  for (const { zone, at, line } of CASES) {
    it(`${zone}: TCP and UDP both send ${JSON.stringify(line)}`, async (t) => {
      const clock = new ManualClock(at);
      const counters = new CounterRegistry();
      const service = createDaytimeService(zone, { logger: SILENT_LOGGER, clock, counters });
      const tcp = await tcpListenerFor(t, service, clock, counters);
      const udp = await udpListenerFor(t, service, clock, counters);
      assert.equal((await exchange(tcp.port, "")).toString("latin1"), line);
      const client = await udpClientFor(t);
      assert.equal((await client.request(udp.port, Buffer.alloc(0))).toString("latin1"), line);
      // The same second, read again: still the same line (a cached reply is not stale).
      clock.setWall(at + 999);
      assert.equal((await client.request(udp.port, Buffer.from("x"))).toString("latin1"), line);
      assert.equal(counters.total("timeserver_requests_total", { protocol: "daytime" }), 3);
    });
  }
});
