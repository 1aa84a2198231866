/**
 * The line service at shutdown: requests it has read but put off (held by a
 * client's rate limit, or by the turn budget) are answered before the close,
 * so a drain never loses a reply a client was owed.
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { CounterRegistry } from "../../src/metrics/counters.js";
import { AccessList } from "../../src/policy/access-list.js";
import { AdmissionPolicy } from "../../src/policy/admission-policy.js";
import { createTimeServer } from "../../src/server/time-server.js";
import { ManualClock } from "../helpers/manual-clock.js";
import { WireClient } from "../helpers/wire-client.js";

describe("line service at shutdown", () => {
  it("answers every request it read, even those held by the rate limit, then closes", async () => {
    // The manual clock never refills the bucket: only the shutdown can release them.
    const clock = new ManualClock();
    const counters = new CounterRegistry();
    const admission = new AdmissionPolicy({
      access: new AccessList(),
      rateLimit: 1,
      rateBurst: 1,
      clock,
      counters,
    });
    const server = createTimeServer({ host: "127.0.0.1", port: 0, clock, counters, admission });
    await server.listen();
    const client = await WireClient.connect(server.address()!.port);
    client.send("TIME\r\n".repeat(5));
    await client.waitForBytes(14);
    // The other four wait for tokens that will not come before the shutdown.
    const limited = () =>
      counters.total("timeserver_requests_total", { protocol: "line", result: "rate-limited" });
    assert.equal(limited(), 1);
    const closed = server.close();
    const received = await client.waitForEnd();
    // The manual clock would never end the lingering close: the client closes.
    client.destroy();
    await closed;
    assert.equal(received.length, 5 * 14, received.toString("latin1"));
  });
});
