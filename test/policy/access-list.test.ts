import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { AccessList, type Verdict } from "../../src/policy/access-list.js";
import { Cidr } from "../../src/policy/cidr.js";

function list(allow: string[], deny: string[]): AccessList {
  return new AccessList(allow.map(Cidr.parse), deny.map(Cidr.parse));
}

describe("AccessList", () => {
  it("allows everyone when there are no rules", () => {
    const acl = list([], []);
    assert.equal(acl.isEmpty, true);
    assert.equal(acl.check("203.0.113.9"), "allow");
    assert.equal(acl.check("::1"), "allow");
  });

  it("with only deny rules, allows whatever is not denied", () => {
    const acl = list([], ["10.0.0.0/8"]);
    assert.equal(acl.check("10.1.2.3"), "deny");
    assert.equal(acl.check("11.1.2.3"), "allow");
    assert.equal(acl.check("2001:db8::1"), "allow");
  });

  it("with any allow rule, denies whatever is not allowed, of either family", () => {
    const acl = list(["10.0.0.0/8"], []);
    assert.equal(acl.check("10.1.2.3"), "allow");
    assert.equal(acl.check("11.1.2.3"), "deny");
    assert.equal(acl.check("::1"), "deny");
  });

  it("lets the longest matching prefix win, in both directions", () => {
    const acl = list(["10.0.0.0/8", "10.1.1.0/24"], ["10.1.0.0/16", "10.1.1.7"]);
    assert.equal(acl.check("10.2.0.1"), "allow"); // /8 allow
    assert.equal(acl.check("10.1.2.1"), "deny"); // /16 deny
    assert.equal(acl.check("10.1.1.1"), "allow"); // /24 allow
    assert.equal(acl.check("10.1.1.7"), "deny"); // /32 deny
  });

  it("lets deny win a tie on the same network, whatever the order given", () => {
    assert.equal(list(["192.0.2.0/24"], ["192.0.2.0/24"]).check("192.0.2.1"), "deny");
    assert.equal(list(["192.0.2.0/24"], ["192.0.2.5/24"]).check("192.0.2.1"), "deny");
    assert.equal(list(["::/0"], ["::/0"]).check("::1"), "deny");
  });

  it("matches IPv4-mapped IPv6 peers against the IPv4 rules only", () => {
    const acl = list(["127.0.0.0/8"], ["::/0"]);
    assert.equal(acl.check("::ffff:127.0.0.1"), "allow");
    assert.equal(acl.check("127.0.0.1"), "allow");
    assert.equal(acl.check("::1"), "deny");
    assert.equal(list([], ["::ffff:10.0.0.0/104"]).check("10.9.9.9"), "deny");
  });

  it("handles IPv6 prefixes of every length class", () => {
    const acl = list(["2001:db8::/32", "::1"], ["2001:db8:dead::/48", "2001:db8:dead:beef::1"]);
    assert.equal(acl.check("2001:db8::5"), "allow");
    assert.equal(acl.check("2001:db8:dead::5"), "deny");
    assert.equal(acl.check("2001:db8:dead:beef::1"), "deny");
    assert.equal(acl.check("::1"), "allow");
    assert.equal(acl.check("2001:db9::"), "deny");
  });

  it("denies an unparseable peer when any rule exists (fail closed)", () => {
    assert.equal(list([], ["10.0.0.0/8"]).check("garbage"), "deny");
    assert.equal(list([], ["10.0.0.0/8"]).check(""), "deny");
  });

  it("agrees with a plain linear scan of the rules for random rules and peers", () => {
    // Rules and peers drawn from a small space so that they overlap often.
    const v4 = fc
      .tuple(fc.constantFrom(10, 192), fc.integer({ min: 0, max: 3 }), fc.nat(3), fc.nat(3))
      .map((p) => p.join("."));
    const v6 = fc
      .tuple(fc.constantFrom("2001:db8", "fe80"), fc.nat(3), fc.nat(3))
      .map(([a, b, c]) => `${a}:${b}::${c}`);
    const rule = fc.oneof(
      fc.tuple(v4, fc.integer({ min: 0, max: 32 })).map(([a, p]) => `${a}/${p}`),
      fc.tuple(v6, fc.integer({ min: 0, max: 128 })).map(([a, p]) => `${a}/${p}`),
    );
    const peer = fc.oneof(
      v4,
      v6,
      v4.map((a) => `::ffff:${a}`),
    );
    fc.assert(
      fc.property(
        fc.array(rule, { maxLength: 8 }),
        fc.array(rule, { maxLength: 8 }),
        fc.array(peer, { minLength: 1, maxLength: 10 }),
        (allowText, denyText, peers) => {
          const allow = allowText.map(Cidr.parse);
          const deny = denyText.map(Cidr.parse);
          const acl = new AccessList(allow, deny);
          for (const address of peers) {
            assert.equal(acl.check(address), linearVerdict(allow, deny, address), address);
          }
        },
      ),
      { numRuns: 1000 },
    );
  });
});

function linearVerdict(allow: Cidr[], deny: Cidr[], address: string): Verdict {
  let best = -1;
  let verdict: Verdict = allow.length > 0 ? "deny" : "allow";
  for (const [rules, v] of [
    [allow, "allow"],
    [deny, "deny"],
  ] as const) {
    for (const rule of rules) {
      if (!rule.contains(address)) continue;
      if (rule.prefix > best || (rule.prefix === best && v === "deny")) {
        best = rule.prefix;
        verdict = v;
      }
    }
  }
  return verdict;
}
