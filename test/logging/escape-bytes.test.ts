import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { escapeBytes } from "../../src/logging/escape-bytes.js";

describe("escapeBytes", () => {
  it("keeps printable ASCII and escapes control bytes, quotes and backslashes", () => {
    assert.equal(
      escapeBytes(Buffer.from('ok \x1b[2J\x00"\\\r\n\t\xff', "latin1")),
      'ok \\x1b[2J\\x00\\"\\\\\\r\\n\\t\\xff',
    );
  });

  it("cuts long input and says how long it was", () => {
    assert.equal(escapeBytes(Buffer.from("abcdef"), 3), "abc...(6 bytes)");
  });

  it("never lets a byte outside printable ASCII through, whatever the input", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        assert.match(escapeBytes(bytes, 1000), /^[\x20-\x7e]*$/);
      }),
    );
  });
});
