import assert from "node:assert/strict";
import { describe, it, mock } from "node:test";
import fc from "fast-check";
import { ClientLimits } from "../../src/policy/client-limits.js";

/** A distinct IPv4 address for each i < 2^24. */
function address(i: number): string {
  return `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
}

describe("ClientLimits: connections per address", () => {
  it("admits up to the limit per address, then refuses and counts", () => {
    const limits = new ClientLimits({ maxConnectionsPerIp: 2 });
    assert.equal(limits.admitConnection("192.0.2.1"), "ok");
    assert.equal(limits.admitConnection("192.0.2.1"), "ok");
    assert.equal(limits.admitConnection("192.0.2.1"), "per-address-limit");
    assert.equal(limits.admitConnection("192.0.2.2"), "ok");
    assert.equal(limits.counters.connectionsRefused, 1);
    assert.equal(limits.connectionsOf("192.0.2.1"), 2);
  });

  it("admits again once a connection is released, and forgets idle addresses", () => {
    const limits = new ClientLimits({ maxConnectionsPerIp: 1 });
    assert.equal(limits.admitConnection("::1"), "ok");
    assert.equal(limits.admitConnection("::1"), "per-address-limit");
    limits.releaseConnection("::1");
    assert.equal(limits.counters.addressesConnected, 0);
    assert.equal(limits.admitConnection("::1"), "ok");
    // A stray release never drives a count below zero.
    limits.releaseConnection("::1");
    limits.releaseConnection("::1");
    assert.equal(limits.connectionsOf("::1"), 0);
  });

  it("counts an IPv4 client the same on IPv4 and dual-stack sockets", () => {
    const limits = new ClientLimits({ maxConnectionsPerIp: 2 });
    assert.equal(limits.admitConnection("192.0.2.1"), "ok");
    assert.equal(limits.admitConnection("::ffff:192.0.2.1"), "ok");
    assert.equal(limits.admitConnection("192.0.2.1"), "per-address-limit");
    limits.releaseConnection("::ffff:192.0.2.1");
    assert.equal(limits.connectionsOf("192.0.2.1"), 1);
  });

  it("never forgets a live connection count, whatever the flood of other addresses", () => {
    const limits = new ClientLimits({
      maxConnectionsPerIp: 3,
      rateLimit: 1,
      maxAddresses: 1000,
    });
    for (let i = 0; i < 3; i++) assert.equal(limits.admitConnection("198.51.100.7"), "ok");
    limits.takeRequest("198.51.100.7", 0);
    for (let i = 0; i < 200_000; i++) limits.takeRequest(address(i), i / 1000);
    assert.equal(limits.admitConnection("198.51.100.7"), "per-address-limit");
    assert.equal(limits.connectionsOf("198.51.100.7"), 3);
    assert.ok(limits.counters.addressesTracked <= 1000);
  });

  it("admits everything without counting when no per-address limit is set", () => {
    const limits = new ClientLimits();
    for (let i = 0; i < 100; i++) assert.equal(limits.admitConnection("192.0.2.1"), "ok");
    assert.equal(limits.counters.addressesConnected, 0);
  });
});

describe("ClientLimits: request rate per address", () => {
  it("allows the burst, then refuses until the bucket refills", () => {
    const limits = new ClientLimits({ rateLimit: 2, rateBurst: 3 });
    const a = "203.0.113.5";
    assert.deepEqual(
      [0, 0, 0, 0].map(() => limits.takeRequest(a, 100)),
      [true, true, true, false],
    );
    assert.equal(limits.msUntilAllowed(a, 100), 500);
    assert.equal(limits.takeRequest(a, 599), false);
    assert.equal(limits.takeRequest(a, 600), true);
    assert.equal(limits.counters.requestsLimited, 2);
  });

  it("keeps one bucket per address, shared by both socket families", () => {
    const limits = new ClientLimits({ rateLimit: 1, rateBurst: 2 });
    assert.equal(limits.takeRequest("192.0.2.9", 0), true);
    assert.equal(limits.takeRequest("::ffff:192.0.2.9", 0), true);
    assert.equal(limits.takeRequest("192.0.2.9", 0), false);
    assert.equal(limits.takeRequest("192.0.2.10", 0), true);
  });

  it("says 0 ms for an address it has never seen or when not rate limited", () => {
    assert.equal(new ClientLimits({ rateLimit: 1 }).msUntilAllowed("192.0.2.1", 5), 0);
    const unlimited = new ClientLimits();
    for (let i = 0; i < 1000; i++) assert.equal(unlimited.takeRequest("192.0.2.1", 0), true);
    assert.equal(unlimited.msUntilAllowed("192.0.2.1", 0), 0);
    assert.equal(unlimited.counters.addressesTracked, 0);
  });

  it("follows only the injected monotonic clock, not the wall clock", () => {
    mock.timers.enable({ apis: ["Date"], now: 1_700_000_000_000 });
    try {
      const limits = new ClientLimits({ rateLimit: 1, rateBurst: 1 });
      assert.equal(limits.takeRequest("192.0.2.1", 50), true);
      mock.timers.setTime(Date.now() + 365 * 86_400_000); // a year's step forward frees no one
      assert.equal(limits.takeRequest("192.0.2.1", 50), false);
      mock.timers.setTime(Date.now() - 2 * 365 * 86_400_000); // a step back bans no one
      assert.equal(limits.msUntilAllowed("192.0.2.1", 1050), 0);
      assert.equal(limits.takeRequest("192.0.2.1", 1050), true);
    } finally {
      mock.timers.reset();
    }
  });

  it("keeps the table within its bound under 200,000 distinct addresses, counting evictions", () => {
    const limits = new ClientLimits({ rateLimit: 10 });
    let largest = 0;
    for (let i = 0; i < 200_000; i++) {
      limits.takeRequest(address(i), i);
      largest = Math.max(largest, limits.counters.addressesTracked);
    }
    assert.equal(largest, 65_536);
    assert.equal(limits.counters.addressesEvicted, 200_000 - 65_536);
  });

  it("gives a forgotten address a full bucket, and nothing more", () => {
    const limits = new ClientLimits({ rateLimit: 1, rateBurst: 2, maxAddresses: 2 });
    limits.takeRequest("192.0.2.1", 0);
    limits.takeRequest("192.0.2.1", 0);
    assert.equal(limits.takeRequest("192.0.2.1", 0), false);
    limits.takeRequest("192.0.2.2", 0);
    limits.takeRequest("192.0.2.3", 0); // forgets 192.0.2.1, the least recently seen
    assert.equal(limits.counters.addressesEvicted, 1);
    assert.equal(limits.takeRequest("192.0.2.1", 0), true);
    assert.equal(limits.takeRequest("192.0.2.1", 0), true);
    assert.equal(limits.takeRequest("192.0.2.1", 0), false);
  });

  it("sweeps only addresses whose bucket is full again, changing no decision", () => {
    const limits = new ClientLimits({ rateLimit: 1, rateBurst: 1 });
    limits.takeRequest("192.0.2.1", 0); // full again at 1000
    limits.takeRequest("192.0.2.2", 500); // full again at 1500
    assert.equal(limits.sweep(999), 0);
    assert.equal(limits.sweep(1000), 1);
    assert.equal(limits.counters.addressesTracked, 1);
    // A refused request spends nothing, so it does not delay the refill.
    assert.equal(limits.takeRequest("192.0.2.2", 1000), false);
    assert.equal(limits.sweep(1499), 0);
    assert.equal(limits.sweep(1500), 1);
    assert.equal(limits.counters.addressesSwept, 2);
    assert.equal(limits.counters.addressesEvicted, 0);
  });
});

describe("ClientLimits: Kiss-o'-Death", () => {
  it("answers the 4th, 8th, ... over-rate request of an address", () => {
    const limits = new ClientLimits({ rateLimit: 1, rateBurst: 1 });
    limits.takeRequest("192.0.2.1", 0);
    const kods: boolean[] = [];
    for (let i = 0; i < 8; i++) {
      assert.equal(limits.takeRequest("192.0.2.1", 0), false);
      kods.push(limits.shouldSendKod("192.0.2.1"));
    }
    assert.deepEqual(kods, [false, false, false, true, false, false, false, true]);
    assert.equal(limits.counters.kissOfDeathSent, 2);
  });

  it("never answers more than 1 in 4 over-rate requests of any address", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 4 }), fc.integer({ min: 0, max: 300 })), {
          maxLength: 400,
        }),
        (requests) => {
          const limits = new ClientLimits({ rateLimit: 5, rateBurst: 2, maxAddresses: 3 });
          const dropped = new Map<string, number>();
          const answered = new Map<string, number>();
          let now = 0;
          for (const [who, gap] of requests) {
            now += gap;
            const a = address(who);
            if (limits.takeRequest(a, now)) continue;
            dropped.set(a, (dropped.get(a) ?? 0) + 1);
            if (limits.shouldSendKod(a)) answered.set(a, (answered.get(a) ?? 0) + 1);
          }
          for (const [a, n] of dropped) assert.ok((answered.get(a) ?? 0) * 4 <= n, a);
        },
      ),
      { numRuns: 500 },
    );
  });

  it("sends none when there is no rate limit", () => {
    assert.equal(new ClientLimits().shouldSendKod("192.0.2.1"), false);
  });
});

describe("ClientLimits: options", () => {
  it("refuses nonsense", () => {
    assert.throws(() => new ClientLimits({ maxConnectionsPerIp: 0 }), RangeError);
    assert.throws(() => new ClientLimits({ rateLimit: 0 }), RangeError);
    assert.throws(() => new ClientLimits({ rateLimit: 1, rateBurst: 0 }), RangeError);
    assert.throws(() => new ClientLimits({ rateLimit: 1, maxAddresses: 0 }), RangeError);
    assert.throws(() => new ClientLimits({ kodEvery: 0 }), RangeError);
  });
});
