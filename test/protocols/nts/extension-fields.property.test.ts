/**
 * The extension-field parser on any bytes: it never throws, never reports a
 * field reaching past the datagram, and accepts exactly the well-framed
 * sequences (lengths of 16 or more, multiples of 4, ending at the end).
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import {
  fieldLength,
  parseAuthenticator,
  parseExtensionFields,
  writeField,
} from "../../../src/protocols/nts/extension-fields.js";
import { classifyNtsRequest } from "../../../src/protocols/nts/nts-ntp.js";

describe("parseExtensionFields", () => {
  it("never throws and keeps every field inside the datagram", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), fc.nat({ max: 60 }), (bytes, offset) => {
        const fields = parseExtensionFields(bytes, offset);
        if (fields === undefined) return;
        let at = offset;
        for (const f of fields) {
          assert.equal(f.start, at);
          assert.ok(f.end <= bytes.length && f.end - f.start >= 16 && (f.end - f.start) % 4 === 0);
          const auth = parseAuthenticator(bytes, f);
          if (auth !== undefined) {
            assert.ok(auth.nonce.byteOffset + auth.nonce.length <= bytes.byteOffset + f.end);
            assert.ok(
              auth.ciphertext.byteOffset + auth.ciphertext.length <= bytes.byteOffset + f.end,
            );
          }
          at = f.end;
        }
        assert.equal(at, Math.max(offset, bytes.length));
      }),
    );
  });

  it("reads back what writeField wrote, for any values", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 0xffff }), fc.uint8Array({ maxLength: 80 })), {
          maxLength: 8,
        }),
        (specs) => {
          const bytes = Buffer.alloc(specs.reduce((n, [, v]) => n + fieldLength(v.length), 0));
          let at = 0;
          for (const [type, value] of specs) at = writeField(bytes, at, type, value);
          const fields = parseExtensionFields(bytes, 0);
          assert.ok(fields);
          assert.deepEqual(
            fields.map((f) => f.type),
            specs.map(([type]) => type),
          );
          fields.forEach((f, i) => {
            const value = specs[i]?.[1] ?? new Uint8Array(0);
            assert.deepEqual(
              bytes.subarray(f.valueStart, f.valueStart + value.length),
              Buffer.from(value),
            );
          });
        },
      ),
    );
  });

  it("refuses a length under 16, not a multiple of 4, past the end, or a stub of a header", () => {
    const field = (type: number, length: number, total = length) => {
      const b = Buffer.alloc(Math.max(total, 4));
      b.writeUInt16BE(type, 0);
      b.writeUInt16BE(length, 2);
      return b;
    };
    assert.equal(parseExtensionFields(field(0x104, 12), 0), undefined);
    assert.equal(parseExtensionFields(field(0x104, 18, 20), 0), undefined);
    assert.equal(parseExtensionFields(field(0x104, 36, 32), 0), undefined);
    assert.equal(
      parseExtensionFields(Buffer.concat([field(0x104, 16), Buffer.alloc(3)]), 0),
      undefined,
    );
    assert.equal(parseExtensionFields(field(0x104, 0, 16), 0), undefined);
    assert.equal(parseExtensionFields(field(0x104, 16), 0)?.length, 1);
  });

  it("classifies any datagram without throwing", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 48, maxLength: 700 }), (bytes) => {
        const c = classifyNtsRequest(bytes);
        assert.ok(["plain", "rejected", "nts"].includes(c.kind));
      }),
    );
  });
});
