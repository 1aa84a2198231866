import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { TimeServerError } from "../../src/errors.js";
import { Cidr, CidrSyntaxError, parseCidrList } from "../../src/policy/cidr.js";

describe("Cidr", () => {
  it("reads a bare address as a /32 or /128 network", () => {
    const v4 = Cidr.parse("192.0.2.7");
    assert.equal(v4.family, 4);
    assert.equal(v4.prefix, 32);
    assert.equal(String(v4), "192.0.2.7/32");
    assert.equal(String(Cidr.parse("2001:DB8::7")), "2001:db8::7/128");
    assert.equal(String(Cidr.parse("[::1]")), "::1/128");
    assert.equal(String(Cidr.parse("[2001:db8::]/32")), "2001:db8::/32");
  });

  it("clears host bits below the prefix and says it did", () => {
    const cidr = Cidr.parse("10.1.2.3/8");
    assert.equal(String(cidr), "10.0.0.0/8");
    assert.equal(cidr.hostBitsCleared, true);
    assert.equal(Cidr.parse("10.0.0.0/8").hostBitsCleared, false);
    assert.equal(String(Cidr.parse("2001:db8::1/32")), "2001:db8::/32");
    assert.equal(String(Cidr.parse("1.2.3.4/0")), "0.0.0.0/0");
  });

  it("turns an IPv4-mapped IPv6 network into the IPv4 network it maps", () => {
    const cidr = Cidr.parse("::ffff:10.0.0.0/104");
    assert.equal(cidr.family, 4);
    assert.equal(String(cidr), "10.0.0.0/8");
    assert.equal(String(Cidr.parse("::ffff:192.0.2.1")), "192.0.2.1/32");
    // Shorter than /96 it is an IPv6 network and stays one.
    assert.equal(Cidr.parse("::ffff:0:0/95").family, 6);
  });

  it("tells whether a peer address lies inside, IPv4-mapped peers as IPv4", () => {
    const v4 = Cidr.parse("10.0.0.0/8");
    assert.equal(v4.contains("10.255.0.1"), true);
    assert.equal(v4.contains("::ffff:10.0.0.1"), true);
    assert.equal(v4.contains("11.0.0.0"), false);
    assert.equal(v4.contains("::1"), false);
    const v6 = Cidr.parse("2001:db8::/32");
    assert.equal(v6.contains("2001:db8:ffff::1"), true);
    assert.equal(v6.contains("2001:db9::"), false);
    assert.equal(v6.contains("10.0.0.1"), false);
    assert.equal(Cidr.parse("::/0").contains("::ffff:10.0.0.1"), false);
    assert.equal(Cidr.parse("0.0.0.0/0").contains("not an address"), false);
  });

  it("refuses bad values with a reason", () => {
    const cases: [string, RegExp][] = [
      ["10.0.0.0/33", /from 0 to 32/],
      ["::/129", /from 0 to 128/],
      ["10.0.0.0/", /prefix length/],
      ["10.0.0.0/-1", /prefix length/],
      ["10.0.0.0/+8", /prefix length/],
      ["10.0.0.0/8/8", /prefix length/],
      ["10.0.0.0/ 8", /prefix length/],
      ["256.0.0.0", /not an IPv4 address/],
      ["010.0.0.0/8", /not an IPv4 address/],
      ["example.com", /not an IPv4 address/],
      ["fe80::1%eth0", /not an IPv6 address/],
      ["", /empty/],
    ];
    for (const [text, reason] of cases) {
      assert.throws(
        () => Cidr.parse(text),
        (e: unknown) => {
          assert.ok(e instanceof CidrSyntaxError, text);
          assert.match(e.message, reason, text);
          return true;
        },
      );
    }
  });
});

describe("parseCidrList", () => {
  it("reads a comma-separated list, spaces around items allowed", () => {
    const list = parseCidrList("--allow", "10.0.0.0/8, 192.0.2.1 ,::1");
    assert.deepEqual(list.map(String), ["10.0.0.0/8", "192.0.2.1/32", "::1/128"]);
  });

  it("names the one bad item and where it came from in a TS_ERR_CONFIG line", () => {
    assert.throws(
      () => parseCidrList("--allow", "10.0.0.0/8,10.0.0.0/33"),
      (e: unknown) => {
        assert.ok(e instanceof TimeServerError);
        assert.equal(e.code, "TS_ERR_CONFIG");
        assert.equal(
          e.message,
          'invalid --allow "10.0.0.0/33": prefix length must be a whole number from 0 to 32',
        );
        assert.ok(!e.message.includes("\n"));
        return true;
      },
    );
    assert.throws(
      () => parseCidrList("TIMESERVER_DENY", "10.0.0.0/8,"),
      /TIMESERVER_DENY "": empty/,
    );
    assert.throws(() => parseCidrList("--deny", ""), /--deny "": empty/);
  });
});
