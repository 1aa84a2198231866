/**
 * AdmissionPolicy: the one policy every listener asks. A connection meets
 * the access list first, then the listener's connection limit, then the
 * per-address limit; a datagram meets the access list, then the rate. The
 * rate runs on the injected monotonic clock, so these tests move time by hand.
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { AccessList } from "../../src/policy/access-list.js";
import {
  type Admission,
  type DatagramKind,
  DROP_GREETING_RATE,
  type Peer,
  type Refusal,
} from "../../src/policy/admission.js";
import { AdmissionPolicy, type AdmissionPolicyOptions } from "../../src/policy/admission-policy.js";
import { Cidr } from "../../src/policy/cidr.js";
import { ManualClock } from "../helpers/manual-clock.js";

const peer = (address: string, port = 40000): Peer => ({ address, port });

/** The verdicts as short values: undefined to serve, else the reason (or "kiss-of-death"). */
function connection(p: Admission, client: Peer, open: number, max: number): Refusal | undefined {
  const verdict = p.admitConnection(client, open, max);
  return verdict.kind === "serve" ? undefined : verdict.reason;
}

function datagram(p: Admission, client: Peer, kind: DatagramKind = "plain"): string | undefined {
  const verdict = p.admitDatagram(client, kind);
  return verdict.kind === "serve"
    ? undefined
    : verdict.kind === "drop"
      ? verdict.reason
      : verdict.kind;
}

/** Whether a request on an admitted connection is served now. */
function request(p: Admission, client: Peer): boolean {
  return p.admitRequest(client).kind === "serve";
}

/** Milliseconds a refused request must wait (0 when served; the token is then spent). */
function retryIn(p: Admission, client: Peer): number {
  const verdict = p.admitRequest(client);
  return verdict.kind === "serve" ? 0 : (verdict.retryInMs ?? 0);
}

function policy(
  rules: { allow?: string[]; deny?: string[] },
  options: Partial<AdmissionPolicyOptions> = {},
): { policy: AdmissionPolicy; clock: ManualClock } {
  const clock = new ManualClock();
  const access = new AccessList(
    (rules.allow ?? []).map((text) => Cidr.parse(text)),
    (rules.deny ?? []).map((text) => Cidr.parse(text)),
  );
  return { policy: new AdmissionPolicy({ access, clock, ...options }), clock };
}

describe("AdmissionPolicy: connections", () => {
  it("admits everyone when nothing is configured, and says it is inactive", () => {
    const { policy: p } = policy({});
    assert.equal(p.active, false);
    assert.equal(connection(p, peer("192.0.2.1"), 0, 10), undefined);
    assert.equal(datagram(p, peer("192.0.2.1"), "kissable"), undefined);
    assert.equal(request(p, peer("192.0.2.1")), true);
  });

  it("refuses a denied address as acl even when the listener is full and the address is at its limit", () => {
    const { policy: p } = policy({ deny: ["192.0.2.9"] }, { maxConnectionsPerIp: 1 });
    assert.equal(connection(p, peer("192.0.2.9"), 10, 10), "acl");
    assert.equal(connection(p, peer("192.0.2.9"), 0, 10), "acl");
    // A refused connection took no per-address slot: an allowed neighbour is unaffected.
    assert.equal(connection(p, peer("192.0.2.8"), 0, 10), undefined);
  });

  it("checks the listener's limit before the per-address limit, and a limit refusal takes no slot", () => {
    const { policy: p } = policy({}, { maxConnectionsPerIp: 1 });
    assert.equal(connection(p, peer("192.0.2.1"), 5, 5), "limit");
    // The refused connection was not counted for its address: the next one still fits.
    assert.equal(connection(p, peer("192.0.2.1"), 4, 5), undefined);
    assert.equal(connection(p, peer("192.0.2.1"), 4, 5), "per-address-limit");
    // The listener being full still reads as "limit" for an address at its own limit.
    assert.equal(connection(p, peer("192.0.2.1"), 5, 5), "limit");
  });

  it("frees an address's slot when its connection ends", () => {
    const { policy: p } = policy({}, { maxConnectionsPerIp: 2 });
    const a = peer("198.51.100.7", 1);
    assert.equal(connection(p, a, 0, 100), undefined);
    assert.equal(connection(p, peer("198.51.100.7", 2), 1, 100), undefined);
    assert.equal(connection(p, peer("198.51.100.7", 3), 2, 100), "per-address-limit");
    p.connectionEnded(a);
    assert.equal(connection(p, peer("198.51.100.7", 4), 1, 100), undefined);
  });

  it("counts an IPv4 client as one address on IPv4 and dual-stack sockets, and applies IPv4 rules to it", () => {
    const { policy: p } = policy({ deny: ["203.0.113.0/24"] }, { maxConnectionsPerIp: 1 });
    assert.equal(connection(p, peer("::ffff:203.0.113.5"), 0, 10), "acl");
    assert.equal(connection(p, peer("192.0.2.1"), 0, 10), undefined);
    assert.equal(connection(p, peer("::ffff:192.0.2.1"), 1, 10), "per-address-limit");
  });

  it("with an allow rule, refuses what no rule matches, and the longest prefix wins", () => {
    const { policy: p } = policy({
      allow: ["10.0.0.0/8", "10.1.2.0/24"],
      deny: ["10.1.0.0/16", "10.9.9.9/32", "10.9.9.9"],
    });
    assert.equal(p.active, true);
    assert.equal(connection(p, peer("10.1.2.7"), 0, 10), undefined);
    assert.equal(connection(p, peer("10.1.9.9"), 0, 10), "acl");
    assert.equal(connection(p, peer("10.9.9.8"), 0, 10), undefined);
    assert.equal(connection(p, peer("10.9.9.9"), 0, 10), "acl");
    assert.equal(connection(p, peer("192.0.2.1"), 0, 10), "acl");
    assert.equal(connection(p, peer("2001:db8::1"), 0, 10), "acl");
  });

  it("denies on a tie between allow and deny", () => {
    const { policy: p } = policy({ allow: ["192.0.2.0/24"], deny: ["192.0.2.0/24"] });
    assert.equal(connection(p, peer("192.0.2.1"), 0, 10), "acl");
  });
});

describe("AdmissionPolicy: datagrams and rate", () => {
  it("refuses a denied datagram as acl without spending a token of its address", () => {
    const { policy: p } = policy({ deny: ["192.0.2.9"] }, { rateLimit: 1, rateBurst: 1 });
    for (let i = 0; i < 5; i++) assert.equal(datagram(p, peer("192.0.2.9"), "kissable"), "acl");
    // The deny is checked before the rate: the address's one token is still there.
    assert.equal(request(p, peer("192.0.2.9")), true);
    assert.equal(request(p, peer("192.0.2.9")), false);
  });

  it("admits a burst, then refuses as rate-limit until the clock gives a token back", () => {
    const { policy: p, clock } = policy({}, { rateLimit: 10, rateBurst: 3 });
    const a = peer("192.0.2.1");
    for (let i = 0; i < 3; i++) assert.equal(datagram(p, a), undefined, `request ${i}`);
    assert.equal(datagram(p, a), "rate-limit");
    const wait = retryIn(p, a);
    assert.ok(wait > 0 && wait <= 100, `waits ${wait} ms for one token at 10/s`);
    clock.advance(wait - 1);
    assert.equal(datagram(p, a), "rate-limit");
    clock.advance(1);
    assert.equal(datagram(p, a), undefined);
    assert.equal(datagram(p, a), "rate-limit");
  });

  it("shares one bucket per address between connections' requests and datagrams", () => {
    const { policy: p } = policy({}, { rateLimit: 1, rateBurst: 2 });
    const a = peer("192.0.2.1", 1000);
    assert.equal(request(p, a), true);
    // Another port of the same address, on UDP: the same bucket.
    assert.equal(datagram(p, peer("192.0.2.1", 2000)), undefined);
    assert.equal(request(p, peer("::ffff:192.0.2.1", 3000)), false);
    assert.equal(datagram(p, a), "rate-limit");
    // Another address has its own.
    assert.equal(datagram(p, peer("192.0.2.2")), undefined);
  });

  it("gives a Kiss-o'-Death to every 4th over-rate request of an address, no more", () => {
    const { policy: p } = policy({}, { rateLimit: 1, rateBurst: 1 });
    const a = peer("192.0.2.1");
    assert.equal(datagram(p, a), undefined);
    const kisses: boolean[] = [];
    for (let i = 0; i < 12; i++) {
      const verdict = datagram(p, a, "kissable");
      assert.ok(verdict === "rate-limit" || verdict === "kiss-of-death", verdict);
      kisses.push(verdict === "kiss-of-death");
    }
    assert.deepEqual(
      kisses.map((kiss, i) => (kiss ? i + 1 : 0)).filter((n) => n > 0),
      [4, 8, 12],
    );
  });

  it("runs on the monotonic clock: a wall-clock step neither refills nor drains a bucket", () => {
    const { policy: p, clock } = policy({}, { rateLimit: 1, rateBurst: 1 });
    const a = peer("192.0.2.1");
    assert.equal(request(p, a), true);
    clock.stepWall(3_600_000);
    assert.equal(request(p, a), false);
    clock.stepWall(-7_200_000);
    assert.equal(retryIn(p, a), 1000);
    clock.advance(1000);
    assert.equal(request(p, a), true);
  });

  it("forgets full buckets on sweep without changing any decision", () => {
    const { policy: p, clock } = policy({}, { rateLimit: 2, rateBurst: 2 });
    const a = peer("192.0.2.1");
    assert.equal(request(p, a), true);
    assert.equal(request(p, a), true);
    assert.equal(request(p, a), false);
    p.sweep();
    assert.equal(request(p, a), false, "a drained bucket survives the sweep");
    clock.advance(1000);
    p.sweep();
    assert.equal(request(p, a), true);
    assert.equal(request(p, a), true);
    assert.equal(request(p, a), false);
  });

  it("with no rate configured, every request is taken and none waits", () => {
    const { policy: p } = policy({ deny: ["192.0.2.9"] }, { maxConnectionsPerIp: 1 });
    for (let i = 0; i < 100; i++) assert.equal(request(p, peer("192.0.2.1")), true);
    for (let i = 0; i < 100; i++)
      assert.equal(datagram(p, peer("192.0.2.1"), "kissable"), undefined);
  });
});

describe("AdmissionPolicy: the greeting rate (--udp-greeting-rate)", () => {
  it("drops an over-rate daytime or RFC 868 source with one frozen verdict: rate-limit, saying which rate", () => {
    const { policy: p, clock } = policy({}, { greetingRate: 2, greetingBurst: 3 });
    const flood = peer("192.0.2.1");
    for (let i = 0; i < 3; i++) assert.equal(datagram(p, flood, "greeting"), undefined);
    const verdict = p.admitDatagram(flood, "greeting");
    // The same object every time: an over-rate datagram allocates nothing.
    assert.equal(verdict, DROP_GREETING_RATE);
    assert.deepEqual(
      { ...verdict },
      { kind: "drop", reason: "rate-limit", detail: "over --udp-greeting-rate for its source" },
    );
    // Another source has its own bucket; SNTP datagrams never meet this rate.
    assert.equal(datagram(p, peer("192.0.2.2"), "greeting"), undefined);
    for (let i = 0; i < 10; i++) assert.equal(datagram(p, flood, "kissable"), undefined);
    // A token comes back with time (2 a second).
    clock.advance(500);
    assert.equal(datagram(p, flood, "greeting"), undefined);
    assert.equal(datagram(p, flood, "greeting"), "rate-limit");
  });

  it("bursts at least 16 by default, or the rate when it is higher", () => {
    const burstOf = (rate: number) => {
      const { policy: p } = policy({}, { greetingRate: rate });
      let served = 0;
      while (datagram(p, peer("192.0.2.1"), "greeting") === undefined) served++;
      return served;
    };
    assert.equal(burstOf(2), 16);
    assert.equal(burstOf(40), 40);
  });

  it("checks the access list first, and spends no --rate-limit token on an over-rate greeting", () => {
    const { policy: p } = policy(
      { deny: ["192.0.2.9"] },
      { greetingRate: 1, greetingBurst: 1, rateLimit: 1, rateBurst: 2 },
    );
    for (let i = 0; i < 3; i++) assert.equal(datagram(p, peer("192.0.2.9"), "greeting"), "acl");
    const a = peer("192.0.2.1");
    assert.equal(datagram(p, a, "greeting"), undefined);
    assert.equal(p.admitDatagram(a, "greeting"), DROP_GREETING_RATE);
    // One of the address's two --rate-limit tokens went to the served greeting.
    assert.equal(request(p, a), true);
    assert.equal(request(p, a), false);
  });

  it("leaves connections and their requests alone: a greeting rate alone keeps the policy inactive", () => {
    const { policy: p } = policy({}, { greetingRate: 1, greetingBurst: 1 });
    assert.equal(p.active, false);
    for (let i = 0; i < 5; i++) assert.equal(request(p, peer("192.0.2.1")), true);
  });
});
