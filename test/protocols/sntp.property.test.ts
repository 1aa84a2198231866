/**
 * Properties of the SNTP server codec for any datagram: never throws, answers
 * exactly the valid client requests, never with more bytes than it got, and
 * always echoes the client's transmit timestamp and version.
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { epochNs } from "../../src/protocols/ntp-timestamp.js";
import {
  encodeKissOfDeath,
  encodeSntpReply,
  parseSntpRequest,
  type SntpReplyFields,
} from "../../src/protocols/sntp.js";

const FIELDS: SntpReplyFields = {
  stratum: 2,
  precision: -22,
  rootDelay: 0.001,
  rootDispersion: 0.002,
  referenceId: "LOCL",
  referenceTime: epochNs(1_795_700_000),
  receiveTime: epochNs(1_795_705_876, 1),
  transmitTime: epochNs(1_795_705_876, 2),
};

/** Random datagrams, half of them with a first byte and length near a valid request. */
const datagrams = fc.oneof(
  fc.uint8Array({ minLength: 0, maxLength: 1500 }),
  fc
    .tuple(
      fc.integer({ min: 0, max: 3 }),
      fc.integer({ min: 0, max: 7 }),
      fc.constantFrom(3, 3, 3, 0, 4, 6, 7),
      fc.oneof(fc.integer({ min: 0, max: 60 }), fc.integer({ min: 0, max: 1500 })),
      fc.uint8Array({ minLength: 1500, maxLength: 1500 }),
    )
    .map(([leap, version, mode, length, noise]) => {
      const bytes = Uint8Array.from(noise.subarray(0, length));
      if (length > 0) bytes[0] = (leap << 6) | (version << 3) | mode;
      return bytes;
    }),
);

function isValid(bytes: Uint8Array): boolean {
  const first = bytes[0] ?? 0;
  const version = (first >> 3) & 7;
  return bytes.length >= 48 && (first & 7) === 3 && version >= 1 && version <= 4;
}

describe("SNTP codec properties", () => {
  it("answers exactly the valid requests, with at most as many bytes, echoing transmit, version and poll", () => {
    fc.assert(
      fc.property(datagrams, (bytes) => {
        const parsed = parseSntpRequest(bytes);
        assert.equal(parsed.kind === "request", isValid(bytes));
        if (parsed.kind !== "request") return;
        for (const reply of [
          encodeSntpReply(parsed, FIELDS),
          encodeKissOfDeath(parsed),
          encodeKissOfDeath(parsed, "RATE", FIELDS),
        ]) {
          assert.equal(reply.length, 48);
          assert.ok(reply.length <= bytes.length);
          assert.deepEqual(reply.subarray(24, 32), Buffer.from(bytes.subarray(40, 48)));
          assert.equal((reply[0]! >> 3) & 7, ((bytes[0] ?? 0) >> 3) & 7);
          assert.equal(reply[0]! & 7, 4);
          assert.equal(reply[2], bytes[2]);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it("gives the reason a datagram is refused: short, mode or version", () => {
    fc.assert(
      fc.property(datagrams, (bytes) => {
        const parsed = parseSntpRequest(bytes);
        if (parsed.kind === "request") return;
        const first = bytes[0];
        if (first === undefined) assert.equal(parsed.reason, "short");
        else if ((first & 7) !== 3)
          assert.deepEqual(parsed.reason === "mode" && parsed.mode, first & 7);
        else if (((first >> 3) & 7) < 1 || ((first >> 3) & 7) > 4)
          assert.deepEqual(parsed.reason === "version" && parsed.version, (first >> 3) & 7);
        else assert.deepEqual(parsed.reason === "short" && parsed.length, bytes.length);
      }),
      { numRuns: 2000 },
    );
  });
});
