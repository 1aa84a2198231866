import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { epochNs, readNtpTimestamp } from "../../src/protocols/ntp-timestamp.js";
import {
  decodeSntpPacket,
  encodeKissOfDeath,
  encodeSntpReply,
  parseSntpRequest,
  type SntpReplyFields,
  type SntpRequest,
} from "../../src/protocols/sntp.js";
import { CLIENT_TRANSMIT, datagram } from "./sntp-datagrams.js";

const FIELDS: SntpReplyFields = {
  stratum: 1,
  precision: -20,
  rootDelay: 0.5,
  rootDispersion: 1 / 65536,
  referenceId: "LOCL",
  referenceTime: epochNs(1_795_700_000, 0),
  receiveTime: epochNs(1_795_705_876, 250_000_000),
  transmitTime: epochNs(1_795_705_876, 250_123_456),
};

function request(bytes: Uint8Array): SntpRequest {
  const parsed = parseSntpRequest(bytes);
  assert.equal(parsed.kind, "request");
  return parsed as SntpRequest;
}

describe("parseSntpRequest", () => {
  it("accepts a 48-byte version 4 client request, keeping version, poll and transmit bytes", () => {
    const parsed = request(datagram({ poll: -3 }));
    assert.equal(parsed.version, 4);
    assert.equal(parsed.poll, -3);
    assert.equal(parsed.length, 48);
    assert.deepEqual([...parsed.transmitTimestamp], CLIENT_TRANSMIT);
  });

  it("accepts versions 1 to 4 and rejects 0, 5, 6 and 7 as 'version'", () => {
    for (const version of [1, 2, 3, 4])
      assert.equal(request(datagram({ version })).version, version);
    for (const version of [0, 5, 6, 7])
      assert.deepEqual(parseSntpRequest(datagram({ version })), {
        kind: "rejected",
        reason: "version",
        version,
      });
  });

  it("rejects every mode but client (3) as 'mode', whatever the length", () => {
    for (const mode of [0, 1, 2, 4, 5, 6, 7])
      for (const length of [1, 12, 48, 468])
        assert.deepEqual(parseSntpRequest(datagram({ mode, length })), {
          kind: "rejected",
          reason: "mode",
          mode,
        });
  });

  it("rejects an ntpq readvar (mode 6) and an ntpdc monlist (mode 7) probe", () => {
    const readvar = Buffer.from([0x16, 0x02, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0]);
    const monlist = Buffer.concat([Buffer.from([0x17, 0x00, 0x03, 0x2a]), Buffer.alloc(44)]);
    assert.deepEqual(parseSntpRequest(readvar), { kind: "rejected", reason: "mode", mode: 6 });
    assert.deepEqual(parseSntpRequest(monlist), { kind: "rejected", reason: "mode", mode: 7 });
  });

  it("rejects an empty datagram and a client request shorter than 48 bytes as 'short'", () => {
    assert.deepEqual(parseSntpRequest(new Uint8Array(0)), {
      kind: "rejected",
      reason: "short",
      length: 0,
    });
    assert.deepEqual(parseSntpRequest(datagram({ length: 47 })), {
      kind: "rejected",
      reason: "short",
      length: 47,
    });
  });

  it("accepts a request with extension fields or a MAC after the header", () => {
    assert.equal(request(datagram({ length: 68 })).length, 68);
    assert.equal(request(datagram({ length: 1500 })).length, 1500);
  });

  it("ignores the client's leap indicator", () => {
    assert.equal(request(datagram({ leap: 3 })).version, 4);
  });
});

describe("encodeSntpReply", () => {
  it("writes the 48-byte server reply field by field", () => {
    const reply = encodeSntpReply(request(datagram({ poll: -6 })), FIELDS);
    assert.equal(reply.length, 48);
    assert.equal(reply[0], 0b00_100_100); // LI 0, version 4, mode 4
    assert.equal(reply[1], 1);
    assert.equal(reply.readInt8(2), -6);
    assert.equal(reply.readInt8(3), -20);
    assert.equal(reply.readUInt32BE(4), 0x00008000);
    assert.equal(reply.readUInt32BE(8), 0x00000001);
    assert.equal(reply.toString("latin1", 12, 16), "LOCL");
    assert.equal(readNtpTimestamp(reply, 16), FIELDS.referenceTime);
    assert.deepEqual([...reply.subarray(24, 32)], CLIENT_TRANSMIT);
    assert.equal(readNtpTimestamp(reply, 32), FIELDS.receiveTime);
    assert.equal(readNtpTimestamp(reply, 40), FIELDS.transmitTime);
  });

  it("answers each version with the same version", () => {
    for (const version of [1, 2, 3, 4]) {
      const reply = encodeSntpReply(request(datagram({ version })), FIELDS);
      assert.equal(reply[0], (version << 3) | 4);
    }
  });

  it("answers a long request with 48 bytes", () => {
    assert.equal(encodeSntpReply(request(datagram({ length: 1500 })), FIELDS).length, 48);
  });

  it("copies a zero transmit timestamp as a zero originate", () => {
    const reply = encodeSntpReply(
      request(datagram({ transmit: [0, 0, 0, 0, 0, 0, 0, 0] })),
      FIELDS,
    );
    assert.deepEqual([...reply.subarray(24, 32)], [0, 0, 0, 0, 0, 0, 0, 0]);
  });

  it("zero-pads a short ASCII reference ID and takes 4 bytes as they are", () => {
    const req = request(datagram());
    const gps = encodeSntpReply(req, { ...FIELDS, referenceId: "GPS" });
    assert.deepEqual([...gps.subarray(12, 16)], [0x47, 0x50, 0x53, 0]);
    const ip = encodeSntpReply(req, {
      ...FIELDS,
      stratum: 2,
      referenceId: Buffer.of(192, 0, 2, 1),
    });
    assert.deepEqual([...ip.subarray(12, 16)], [192, 0, 2, 1]);
  });

  it("writes an unknown reference time as zero and a leap warning when asked", () => {
    const reply = encodeSntpReply(request(datagram()), { ...FIELDS, referenceTime: null, leap: 1 });
    assert.deepEqual([...reply.subarray(16, 24)], [0, 0, 0, 0, 0, 0, 0, 0]);
    assert.equal(reply[0]! >> 6, 1);
  });

  it("refuses fields that do not fit the wire", () => {
    const req = request(datagram());
    assert.throws(() => encodeSntpReply(req, { ...FIELDS, stratum: 256 }), RangeError);
    assert.throws(() => encodeSntpReply(req, { ...FIELDS, precision: -129 }), RangeError);
    assert.throws(() => encodeSntpReply(req, { ...FIELDS, referenceId: "LOCAL" }), RangeError);
    assert.throws(
      () => encodeSntpReply(req, { ...FIELDS, referenceId: Buffer.of(1, 2) }),
      RangeError,
    );
  });
});

describe("encodeKissOfDeath", () => {
  it("is a normal reply with LI 3, stratum 0 and the kiss code as reference ID (as chrony sends)", () => {
    const req = request(datagram({ version: 3, poll: 4 }));
    const kod = encodeKissOfDeath(req, "RATE", FIELDS);
    const normal = encodeSntpReply(req, FIELDS);
    assert.equal(kod.length, 48);
    assert.equal(kod[0], 0b11_011_100); // LI 3, version 3, mode 4
    assert.equal(kod[1], 0);
    assert.equal(kod.toString("latin1", 12, 16), "RATE");
    assert.deepEqual(kod.subarray(2, 12), normal.subarray(2, 12));
    assert.deepEqual(kod.subarray(16, 48), normal.subarray(16, 48));
  });

  it("without server fields carries only the header, kiss code and originate", () => {
    const kod = encodeKissOfDeath(request(datagram({ poll: 10 })), "DENY");
    const expected = Buffer.alloc(48);
    expected[0] = 0b11_100_100;
    expected[2] = 10;
    expected.write("DENY", 12, "latin1");
    expected.set(CLIENT_TRANSMIT, 24);
    assert.deepEqual(kod, expected);
  });

  it("defaults to RATE and refuses a code that is not 4 ASCII characters", () => {
    const req = request(datagram());
    assert.equal(encodeKissOfDeath(req).toString("latin1", 12, 16), "RATE");
    assert.throws(() => encodeKissOfDeath(req, "RAT"), RangeError);
    assert.throws(() => encodeKissOfDeath(req, "RA E"), RangeError);
  });
});

describe("decodeSntpPacket", () => {
  it("reads back every field of a reply", () => {
    const packet = decodeSntpPacket(encodeSntpReply(request(datagram({ poll: -2 })), FIELDS));
    assert.equal(packet.leap, 0);
    assert.equal(packet.version, 4);
    assert.equal(packet.mode, 4);
    assert.equal(packet.stratum, 1);
    assert.equal(packet.poll, -2);
    assert.equal(packet.precision, -20);
    assert.equal(packet.rootDelay, 0.5);
    assert.equal(packet.rootDispersion, 1 / 65536);
    assert.equal(packet.referenceIdText, "LOCL");
    assert.equal(packet.referenceTime, FIELDS.referenceTime);
    assert.equal(packet.receiveTime, FIELDS.receiveTime);
    assert.equal(packet.transmitTime, FIELDS.transmitTime);
    assert.notEqual(packet.originateTime, null);
  });

  it("reads zero timestamps as null and an IPv4 reference ID as bytes only", () => {
    const packet = decodeSntpPacket(
      encodeSntpReply(request(datagram({ transmit: [0, 0, 0, 0, 0, 0, 0, 0] })), {
        ...FIELDS,
        referenceTime: null,
        referenceId: Buffer.of(10, 0, 0, 1),
      }),
    );
    assert.equal(packet.referenceTime, null);
    assert.equal(packet.originateTime, null);
    assert.equal(packet.referenceIdText, undefined);
    assert.deepEqual([...packet.referenceId], [10, 0, 0, 1]);
  });

  it("refuses fewer than 48 bytes", () => {
    assert.throws(() => decodeSntpPacket(Buffer.alloc(47)), RangeError);
  });
});
