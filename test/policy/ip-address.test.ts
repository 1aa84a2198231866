import assert from "node:assert/strict";
import { SocketAddress } from "node:net";
import { describe, it } from "node:test";
import fc from "fast-check";
import {
  addressKey,
  formatIPv4,
  formatIPv6,
  parseIPv4,
  parseIPv4OrMapped,
  parseIPv6,
} from "../../src/policy/ip-address.js";

describe("ip-address", () => {
  it("parses dotted quads to unsigned 32-bit numbers", () => {
    assert.equal(parseIPv4("0.0.0.0"), 0);
    assert.equal(parseIPv4("127.0.0.1"), 0x7f000001);
    assert.equal(parseIPv4("255.255.255.255"), 0xffffffff);
  });

  it("refuses IPv4 text that is not four plain decimal parts 0-255", () => {
    for (const bad of [
      "",
      "1.2.3",
      "1.2.3.4.5",
      "256.0.0.0",
      "01.2.3.4",
      "1.2.3.04",
      "1..3.4",
      ".1.2.3",
      "1.2.3.4.",
      "1.2.3.-4",
      "+1.2.3.4",
      " 1.2.3.4",
      "0x1.2.3.4",
      "1.2.3.1000",
    ]) {
      assert.equal(parseIPv4(bad), -1, bad);
    }
  });

  it("refuses IPv6 text with two gaps, too many groups, zones or bad groups", () => {
    for (const bad of [
      "1::2::3",
      "1:2:3:4:5:6:7:8:9",
      "1:2:3:4:5:6:7::8",
      "1:2:3:4:5:6:7",
      ":1::",
      "1:::2",
      "12345::",
      "fe80::1%eth0",
      "::g",
      "::ffff:01.2.3.4",
      "::1.2.3.4:5",
      "[::1]",
      "1.2.3.4",
      "",
    ]) {
      assert.equal(parseIPv6(bad), undefined, bad);
    }
  });

  it("writes IPv6 exactly as Node writes peer addresses, for any 128-bit value", () => {
    const word = fc.oneof(fc.constant(0), fc.constant(0xffff), fc.integer({ min: 0, max: 0xffff }));
    fc.assert(
      fc.property(fc.array(word, { minLength: 8, maxLength: 8 }), (words) => {
        const value = words.reduce((v, w) => (v << 16n) | BigInt(w), 0n);
        const text = formatIPv6(value);
        const node = new SocketAddress({ address: text, family: "ipv6" }).address;
        assert.equal(text, node);
        assert.equal(parseIPv6(text), value);
      }),
      { numRuns: 3000 },
    );
  });

  it("reads any spelling Node accepts as the same value", () => {
    fc.assert(
      fc.property(fc.ipV6(), (text) => {
        const canonical = new SocketAddress({ address: text, family: "ipv6" }).address;
        assert.equal(parseIPv6(text), parseIPv6(canonical));
      }),
      { numRuns: 2000 },
    );
  });

  it("sees an IPv4-mapped IPv6 address as its IPv4 address, in any spelling", () => {
    assert.equal(parseIPv4OrMapped("10.1.2.3"), 0x0a010203);
    assert.equal(parseIPv4OrMapped("::ffff:10.1.2.3"), 0x0a010203);
    assert.equal(parseIPv4OrMapped("::FFFF:10.1.2.3"), 0x0a010203);
    assert.equal(parseIPv4OrMapped("::ffff:a01:203"), 0x0a010203);
    assert.equal(parseIPv4OrMapped("0:0:0:0:0:ffff:10.1.2.3"), 0x0a010203);
    assert.equal(parseIPv4OrMapped("::1"), -1);
    assert.equal(parseIPv4OrMapped("::10.1.2.3"), -1);
    assert.equal(parseIPv4OrMapped("2001:db8::1"), -1);
  });

  it("keys a mapped peer and its plain IPv4 form alike, and leaves others alone", () => {
    assert.equal(addressKey("::ffff:192.0.2.1"), "192.0.2.1");
    assert.equal(addressKey("192.0.2.1"), "192.0.2.1");
    assert.equal(addressKey("::1"), "::1");
    assert.equal(addressKey("::ffff:c000:201"), "::ffff:c000:201");
  });

  it("formats IPv4 numbers back to dotted quads", () => {
    fc.assert(fc.property(fc.ipV4(), (text) => assert.equal(formatIPv4(parseIPv4(text)), text)));
  });
});
