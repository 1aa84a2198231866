/**
 * Properties of the PROXY header parser for every input: valid headers under
 * any chunking and with any bytes after them, near-misses, and random bytes.
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import {
  PROXY_V1_MAX_LENGTH,
  PROXY_V2_SIGNATURE,
  ProxyHeaderParser,
  type ProxyParseResult,
  parseProxyHeader,
} from "../../src/protocols/proxy-header.js";
import { v2Header } from "./proxy-header-builders.js";

const port = fc.integer({ min: 0, max: 65535 });
const v1Line = fc.oneof(
  fc
    .tuple(fc.ipV4(), fc.ipV4(), port, port)
    .map(([s, d, sp, dp]) => `PROXY TCP4 ${s} ${d} ${sp} ${dp}\r\n`),
  fc
    .tuple(fc.ipV6(), fc.ipV6(), port, port)
    .map(([s, d, sp, dp]) => `PROXY TCP6 ${s} ${d} ${sp} ${dp}\r\n`),
  fc
    .string({ maxLength: 90 })
    .filter((s) => !/[\r\n]/.test(s))
    .map((s) => (s === "" ? "PROXY UNKNOWN\r\n" : `PROXY UNKNOWN ${s}\r\n`)),
);
const v1Header = v1Line
  .filter((line) => Buffer.byteLength(line, "latin1") <= PROXY_V1_MAX_LENGTH)
  .map((line) => Buffer.from(line, "latin1"));

const v2Valid = fc
  .tuple(
    fc.integer({ min: 0, max: 1 }),
    fc.constantFrom(0x00, 0x11, 0x12, 0x21, 0x22, 0x31, 0x32, 0x10, 0x01),
    fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 40 }),
  )
  .map(([command, familyProtocol, tlvs]) => {
    const needed = { 1: 12, 2: 36, 3: 216 }[familyProtocol >> 4] ?? 0;
    const addresses = Array.from({ length: needed }, (_, i) => (i * 37) & 255);
    return v2Header({ command, familyProtocol, addresses: [...addresses, ...tlvs] });
  });

const validHeader = fc.oneof(v1Header, v2Valid);

/** Cut `data` at the given positions into non-empty chunks. */
function chunk(data: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (data.length + 1)))].sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let start = 0;
  for (const point of [...points, data.length]) {
    chunks.push(data.subarray(start, point));
    start = point;
  }
  return chunks.filter((c) => c.length > 0);
}

/** Feeding every prefix of `data` agrees with parsing it whole. */
function assertPrefixesAgree(data: Buffer): void {
  const whole = parseProxyHeader(data);
  let failedAt = -1;
  for (let k = 0; k <= data.length; k++) {
    const part = parseProxyHeader(data.subarray(0, k));
    if (whole.status === "done") {
      if (k < whole.consumed) assert.equal(part.status, "need-more", `prefix ${k}`);
      else assert.deepEqual(part, whole, `prefix ${k}`);
    } else if (whole.status === "need-more") {
      assert.equal(part.status, "need-more", `prefix ${k}`);
    } else {
      assert.notEqual(part.status, "done", `prefix ${k}`);
      if (part.status === "error" && failedAt === -1) failedAt = k;
      if (failedAt !== -1)
        assert.equal(part.status, "error", `an error at ${failedAt} stands at ${k}`);
    }
  }
}

function assertWithinBounds(data: Buffer, result: ProxyParseResult): void {
  if (result.status !== "done") return;
  assert.ok(result.consumed > 0 && result.consumed <= data.length);
  if (data[0] === PROXY_V2_SIGNATURE[0]) {
    assert.equal(result.consumed, 16 + data.readUInt16BE(14), "exactly the declared length");
  } else {
    assert.ok(result.consumed <= PROXY_V1_MAX_LENGTH);
    assert.equal(data.subarray(result.consumed - 2, result.consumed).toString("latin1"), "\r\n");
  }
}

describe("ProxyHeader properties", () => {
  it("parses any valid header, whole, and consumes all of it", () => {
    fc.assert(
      fc.property(validHeader, (header) => {
        const result = parseProxyHeader(header);
        assert.equal(result.status, "done", JSON.stringify(result));
        if (result.status === "done") assert.equal(result.consumed, header.length);
      }),
      { numRuns: 2000 },
    );
  });

  it("consumes exactly the header when any bytes follow it", () => {
    fc.assert(
      fc.property(validHeader, fc.uint8Array({ maxLength: 200 }), (header, after) => {
        const alone = parseProxyHeader(header);
        const followed = parseProxyHeader(Buffer.concat([header, after]));
        assert.deepEqual(followed, alone);
      }),
      { numRuns: 2000 },
    );
  });

  it("gives the same header and rest for any chunking of a valid header and what follows", () => {
    fc.assert(
      fc.property(
        validHeader,
        fc.uint8Array({ maxLength: 50 }),
        fc.array(fc.nat(), { maxLength: 12 }),
        (header, after, cuts) => {
          const stream = Buffer.concat([header, after]);
          const whole = parseProxyHeader(stream);
          const parser = new ProxyHeaderParser();
          const pieces = chunk(stream, cuts);
          let result: ReturnType<ProxyHeaderParser["receiveData"]> = { status: "need-more" };
          while (pieces.length > 0 && result.status === "need-more") {
            result = parser.receiveData(pieces.shift() as Buffer);
          }
          assert.equal(result.status, "done");
          if (result.status !== "done" || whole.status !== "done") return;
          assert.deepEqual(result.header, whole.header);
          assert.equal(result.consumed, header.length);
          // The caller hands the protocol `rest`, then every later chunk.
          assert.deepEqual(Buffer.concat([result.rest, ...pieces]), Buffer.from(after));
        },
      ),
      { numRuns: 1000 },
    );
  });

  it("never refuses a prefix of a valid header, and agrees on every prefix", () => {
    fc.assert(
      fc.property(validHeader, (header) => assertPrefixesAgree(header)),
      { numRuns: 500 },
    );
  });

  it("on near-misses: never throws, stays in bounds, and an early error is final", () => {
    const token = fc.oneof(
      fc.constantFrom(
        "PROXY ",
        "PROXY",
        "TCP4 ",
        "TCP6 ",
        "UNKNOWN",
        " ",
        "1.2.3.4",
        "01.2.3.4",
        "::1",
        "::ffff:1.2.3.4",
        "65535",
        "65536",
        "0",
        "\r\n",
        "\r",
        "\n",
        "\x00",
      ),
      fc.string({ maxLength: 6 }),
    );
    const nearMiss = fc.oneof(
      fc.array(token, { maxLength: 14 }).map((t) => Buffer.from(t.join(""), "latin1")),
      fc
        .tuple(validHeader, fc.nat(), fc.integer({ min: 0, max: 255 }))
        .map(([header, at, value]) => {
          const copy = Buffer.from(header);
          copy[at % copy.length] = value;
          return copy;
        }),
      fc
        .uint8Array({ maxLength: 60 })
        .map((tail) => Buffer.concat([PROXY_V2_SIGNATURE, Buffer.from(tail)])),
    );
    fc.assert(
      fc.property(nearMiss, (data) => {
        assertWithinBounds(data, parseProxyHeader(data));
        assertPrefixesAgree(data);
      }),
      { numRuns: 3000 },
    );
  });

  it("on random bytes: never throws and never consumes more than it was given", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        const data = Buffer.from(bytes);
        assertWithinBounds(data, parseProxyHeader(data));
      }),
      { numRuns: 5000 },
    );
  });

  it("refuses at the first byte anything that begins neither signature", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 255 }).filter((b) => b !== 0x50 && b !== 0x0d),
        (first) => assert.equal(parseProxyHeader(Buffer.from([first])).status, "error"),
      ),
    );
  });
});
