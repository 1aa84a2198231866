import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  PROXY_V2_SIGNATURE,
  ProxyHeaderParser,
  type ProxyParseResult,
  parseProxyHeader,
} from "../../src/protocols/proxy-header.js";
import { v2Header } from "./proxy-header-builders.js";

const text = (s: string) => Buffer.from(s, "latin1");

function done(result: ProxyParseResult) {
  assert.equal(result.status, "done", JSON.stringify(result));
  return result as Extract<ProxyParseResult, { status: "done" }>;
}

function errorOf(result: ProxyParseResult): string {
  assert.equal(result.status, "error", JSON.stringify(result));
  return (result as { reason: string }).reason;
}

describe("parseProxyHeader v1", () => {
  it("reads a TCP4 line and consumes exactly it", () => {
    const line = "PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n";
    const result = done(parseProxyHeader(text(`${line}TIME\r\n`)));
    assert.equal(result.consumed, line.length);
    assert.deepEqual(result.header, {
      version: 1,
      command: "proxy",
      addresses: {
        family: "ipv4",
        transport: "tcp",
        sourceAddress: "192.168.0.1",
        sourcePort: 56324,
        destinationAddress: "192.168.0.11",
        destinationPort: 443,
      },
    });
  });

  it("reads a TCP6 line, writing the addresses as Node writes peers", () => {
    const result = done(
      parseProxyHeader(text("PROXY TCP6 2001:DB8:0:0::1 ::ffff:10.0.0.1 0 65535\r\n")),
    );
    assert.equal(result.header.addresses?.family, "ipv6");
    assert.equal(result.header.addresses?.sourceAddress, "2001:db8::1");
    assert.equal(result.header.addresses?.destinationAddress, "::ffff:10.0.0.1");
    assert.equal(result.header.addresses?.sourcePort, 0);
    assert.equal(result.header.addresses?.destinationPort, 65535);
  });

  it("accepts the longest line the specification allows (107 bytes)", () => {
    const v6 = "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff";
    const line = `PROXY UNKNOWN ${v6} ${v6} 65535 65535\r\n`;
    assert.equal(line.length, 107);
    assert.equal(done(parseProxyHeader(text(line))).consumed, 107);
    const tcp6 = `PROXY TCP6 ${v6} ${v6} 65535 65535\r\n`;
    assert.equal(done(parseProxyHeader(text(tcp6))).consumed, 104);
  });

  it("reads UNKNOWN with or without the ignored rest, with no addresses", () => {
    for (const line of ["PROXY UNKNOWN\r\n", "PROXY UNKNOWN whatever \x01\xff here\r\n"]) {
      const result = done(parseProxyHeader(text(`${line}QUIT\r\n`)));
      assert.equal(result.consumed, line.length);
      assert.deepEqual(result.header, { version: 1, command: "proxy", addresses: null });
    }
  });

  it("waits while the line could still become valid", () => {
    for (const partial of [
      "P",
      "PROXY",
      "PROXY ",
      "PROXY TC",
      "PROXY TCP4 1.2.3.4 5.6.7.8 1 2",
      "PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r",
      "PROXY UNKNOWN",
    ]) {
      assert.deepEqual(parseProxyHeader(text(partial)), { status: "need-more" }, partial);
    }
  });

  it("refuses malformed lines, as early as the bytes allow", () => {
    const cases: [string, RegExp][] = [
      ["GET / HTTP/1.1\r\n", /not a PROXY/],
      ["TIME\r\n", /not a PROXY/],
      ["proxy TCP4", /not a PROXY/],
      ["PROXY\tTCP4", /not a PROXY/],
      ["PROXY TCP5 ", /unknown PROXY v1 protocol/],
      ["PROXY UDP4", /unknown PROXY v1 protocol/],
      ["PROXY UNKNOWNX\r\n", /unknown PROXY v1 protocol/],
      ["PROXY  TCP4", /unknown PROXY v1 protocol/],
      ["PROXY TCP4 1.2.3.4  5.6.7.8", /number of fields/],
      ["PROXY TCP4 1.2.3.4 5.6.7.8 1 2 3", /number of fields/],
      ["PROXY TCP4 1.2.3.a", /not allowed/],
      ["PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n", /LF without CR/],
      ["PROXY TCP4 1.2.3.4 5.6.7.8 1 2\rX", /CR not followed by LF/],
      ["PROXY TCP4 1.2.3.4 5.6.7.8 1 2 \r\n", /number of fields/],
      ["PROXY TCP4 1.2.3.4 5.6.7.8 1\r\n", /number of fields/],
      ["PROXY TCP4 1.2.3.04 5.6.7.8 1 2\r\n", /dotted quad/],
      ["PROXY TCP4 1.2.3.256 5.6.7.8 1 2\r\n", /dotted quad/],
      ["PROXY TCP4 ::1 5.6.7.8 1 2\r\n", /dotted quad/],
      ["PROXY TCP6 1.2.3.4 ::1 1 2\r\n", /not IPv6/],
      ["PROXY TCP6 fe80::1%eth0 ::1 1 2\r\n", /not IPv6/],
      ["PROXY TCP6 fe80::1%eth0", /not allowed/],
      ["PROXY TCP4 1.2.3.4 5.6.7.8 65536 2\r\n", /port/],
      ["PROXY TCP4 1.2.3.4 5.6.7.8 01 2\r\n", /port/],
      ["PROXY TCP6 ::1 ::1 +1 2\r\n", /port/],
      ["PROXY TCP6 ::1 ::1 +", /not allowed/],
      ["PROXY TCP4 1.2.3.4 5.6.7.8 1 99999\r", /port/],
    ];
    for (const [input, reason] of cases) {
      assert.match(errorOf(parseProxyHeader(text(input))), reason, JSON.stringify(input));
    }
  });

  it("refuses a line with no CRLF in its first 107 bytes, without waiting longer", () => {
    const long = `PROXY UNKNOWN ${"x".repeat(92)}`;
    assert.equal(long.length, 106);
    assert.deepEqual(parseProxyHeader(text(long)), { status: "need-more" });
    assert.match(errorOf(parseProxyHeader(text(`${long}\r`))), /107/);
    assert.match(errorOf(parseProxyHeader(text(`${long}\r\n`))), /107/);
  });
});

describe("parseProxyHeader v2", () => {
  it("reads PROXY over TCP/IPv4 and consumes exactly 16 + length bytes", () => {
    const header = v2Header({
      command: 1,
      familyProtocol: 0x11,
      addresses: [192, 0, 2, 1, 198, 51, 100, 2, 0xdc, 0x05, 0x00, 0x25],
    });
    const result = done(parseProxyHeader(Buffer.concat([header, text("TIME\r\n")])));
    assert.equal(result.consumed, 28);
    assert.deepEqual(result.header, {
      version: 2,
      command: "proxy",
      addresses: {
        family: "ipv4",
        transport: "tcp",
        sourceAddress: "192.0.2.1",
        sourcePort: 56325,
        destinationAddress: "198.51.100.2",
        destinationPort: 37,
      },
    });
  });

  it("reads PROXY over UDP/IPv6 and skips TLVs after the addresses", () => {
    const src = [0x20, 0x01, 0x0d, 0xb8, ...new Array(11).fill(0), 1];
    const dst = [...new Array(10).fill(0), 0xff, 0xff, 10, 0, 0, 1];
    const tlv = [0x04, 0x00, 0x03, 0x61, 0x62, 0x63]; // PP2_TYPE_NOOP, "abc"
    const header = v2Header({
      command: 1,
      familyProtocol: 0x22,
      addresses: [...src, ...dst, 0, 123, 0, 123, ...tlv],
    });
    const result = done(parseProxyHeader(Buffer.concat([header, Buffer.from([0xe3, 0, 0])])));
    assert.equal(result.consumed, 16 + 36 + 6);
    assert.deepEqual(result.header.addresses, {
      family: "ipv6",
      transport: "udp",
      sourceAddress: "2001:db8::1",
      sourcePort: 123,
      destinationAddress: "::ffff:10.0.0.1",
      destinationPort: 123,
    });
  });

  it("reads LOCAL, skipping whatever address block it carries", () => {
    for (const [familyProtocol, addresses] of [
      [0x00, []],
      [0x11, new Array(12).fill(7)],
      [0x21, [1, 2, 3]], // LOCAL ignores the family, even a block too short for it
    ] as const) {
      const header = v2Header({ command: 0, familyProtocol, addresses: [...addresses] });
      const result = done(parseProxyHeader(Buffer.concat([header, text("QUIT\r\n")])));
      assert.equal(result.consumed, header.length);
      assert.deepEqual(result.header, { version: 2, command: "local", addresses: null });
    }
  });

  it("gives no addresses for UNSPEC and UNIX, so the real peer stands", () => {
    for (const [familyProtocol, length] of [
      [0x00, 0],
      [0x10, 12],
      [0x01, 0],
      [0x31, 216],
      [0x32, 216],
    ] as const) {
      const header = v2Header({ command: 1, familyProtocol, addresses: new Array(length).fill(0) });
      const result = done(parseProxyHeader(header));
      assert.equal(result.header.addresses, null, familyProtocol.toString(16));
      assert.equal(result.consumed, 16 + length);
    }
  });

  it("refuses bad version, command, family, protocol, short blocks and absurd lengths", () => {
    const base = v2Header({ command: 1, familyProtocol: 0x11, addresses: new Array(12).fill(0) });
    const withByte = (at: number, value: number) => {
      const copy = Buffer.from(base);
      copy[at] = value;
      return copy;
    };
    assert.match(errorOf(parseProxyHeader(withByte(12, 0x11))), /version 1/);
    assert.match(errorOf(parseProxyHeader(withByte(12, 0x22))), /command 2/);
    assert.match(errorOf(parseProxyHeader(withByte(13, 0x41))), /family 4/);
    assert.match(errorOf(parseProxyHeader(withByte(13, 0x13))), /protocol 3/);
    const short = v2Header({ command: 1, familyProtocol: 0x21, addresses: new Array(12).fill(0) });
    assert.match(errorOf(parseProxyHeader(short)), /36 needed/);
    const huge = withByte(14, 0x10); // declares 4108 bytes
    assert.match(errorOf(parseProxyHeader(huge.subarray(0, 16))), /4108 bytes/);
    assert.equal(
      parseProxyHeader(huge.subarray(0, 16), { maxV2Length: 65535 }).status,
      "need-more",
    );
  });

  it("decides on the version byte before the rest arrives", () => {
    const start = Buffer.concat([PROXY_V2_SIGNATURE, Buffer.from([0x31])]);
    assert.match(errorOf(parseProxyHeader(start)), /version 3/);
    assert.equal(parseProxyHeader(PROXY_V2_SIGNATURE).status, "need-more");
    const wrong = Buffer.from(PROXY_V2_SIGNATURE.subarray(0, 5));
    wrong[4] = 0x01;
    assert.match(errorOf(parseProxyHeader(wrong)), /not a PROXY/);
  });
});

describe("ProxyHeaderParser", () => {
  it("buffers across chunks and hands back the bytes after the header", () => {
    const parser = new ProxyHeaderParser();
    assert.equal(parser.receiveData(text("PROXY TCP4 10.0.0.1 ")).status, "need-more");
    assert.equal(parser.bufferedBytes, 20);
    const result = parser.receiveData(text("10.0.0.2 1000 37\r\nTIME\r\nQU"));
    assert.equal(result.status, "done");
    if (result.status !== "done") return;
    assert.equal(result.consumed, 38);
    assert.equal(result.rest.toString("latin1"), "TIME\r\nQU");
    assert.equal(result.header.addresses?.sourceAddress, "10.0.0.1");
    assert.equal(parser.bufferedBytes, 0);
    assert.throws(() => parser.receiveData(text("x")), /after it finished/);
  });

  it("does not keep a reference to the caller's chunk while waiting", () => {
    const parser = new ProxyHeaderParser();
    const chunk = text("PROXY TCP4 ");
    parser.receiveData(chunk);
    chunk.fill(0);
    const result = parser.receiveData(text("1.2.3.4 5.6.7.8 1 2\r\n"));
    assert.equal(result.status, "done");
  });

  it("reports an error once and holds nothing after it", () => {
    const parser = new ProxyHeaderParser();
    assert.equal(parser.receiveData(text("SSH-2.0-OpenSSH\r\n")).status, "error");
    assert.equal(parser.bufferedBytes, 0);
  });
});
