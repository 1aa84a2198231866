import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import {
  decodeRecords,
  encodeErrorResponse,
  encodeRecord,
  encodeRequest,
  encodeResponse,
  KeErrorCode,
  KeRequestReader,
  MAX_REQUEST_BYTES,
  negotiate,
  RecordType,
} from "../../../src/protocols/nts/ke-records.js";

const EOM = encodeRecord(RecordType.END_OF_MESSAGE, new Uint8Array(0), true);
const u16 = (...values: number[]) => {
  const b = Buffer.alloc(values.length * 2);
  values.forEach((v, i) => {
    b.writeUInt16BE(v, i * 2);
  });
  return b;
};
const read = (bytes: Buffer) => new KeRequestReader().push(bytes);

describe("KeRequestReader", () => {
  it("reads chrony's request (NTPv4, AES-SIV-CMAC-256) whole or a byte at a time", () => {
    const bytes = encodeRequest([15]);
    assert.deepEqual(read(bytes), { kind: "request", protocols: [0], aeads: [15] });
    const reader = new KeRequestReader();
    for (let i = 0; i < bytes.length - 1; i++)
      assert.equal(reader.push(bytes.subarray(i, i + 1)).kind, "incomplete");
    assert.equal(reader.push(bytes.subarray(bytes.length - 1)).kind, "request");
  });

  it("gives the same result for any chunking", () => {
    const bytes = encodeRequest([30, 15, 17]);
    fc.assert(
      fc.property(fc.array(fc.nat({ max: bytes.length }), { maxLength: 6 }), (cuts) => {
        const reader = new KeRequestReader();
        const points = [...new Set(cuts)].sort((a, b) => a - b);
        let last = 0;
        let result: ReturnType<KeRequestReader["push"]> = { kind: "incomplete" };
        for (const p of [...points, bytes.length]) {
          const step = reader.push(bytes.subarray(last, p));
          if (result.kind === "incomplete") result = step;
          last = p;
        }
        assert.deepEqual(result, { kind: "request", protocols: [0], aeads: [30, 15, 17] });
      }),
    );
  });

  it("refuses an unrecognised critical record and ignores an unrecognised non-critical one", () => {
    const base = encodeRequest([15]);
    const body = base.subarray(0, base.length - 4);
    const critical = Buffer.concat([body, encodeRecord(0x4000, Buffer.from("x"), true), EOM]);
    const plain = Buffer.concat([body, encodeRecord(0x4000, Buffer.from("x"), false), EOM]);
    assert.deepEqual(
      { ...read(critical), detail: undefined },
      { kind: "error", code: KeErrorCode.UNRECOGNIZED_CRITICAL_RECORD, detail: undefined },
    );
    assert.equal(read(plain).kind, "request");
  });

  for (const [name, records] of [
    ["no Next Protocol", [encodeRecord(RecordType.AEAD_ALGORITHM, u16(15), true)]],
    [
      "two Next Protocol records",
      [
        encodeRecord(RecordType.NEXT_PROTOCOL, u16(0), true),
        encodeRecord(RecordType.NEXT_PROTOCOL, u16(0), true),
        encodeRecord(RecordType.AEAD_ALGORITHM, u16(15), true),
      ],
    ],
    [
      "Next Protocol without the critical bit",
      [
        encodeRecord(RecordType.NEXT_PROTOCOL, u16(0), false),
        encodeRecord(RecordType.AEAD_ALGORITHM, u16(15), true),
      ],
    ],
    [
      "an odd-length AEAD list",
      [
        encodeRecord(RecordType.NEXT_PROTOCOL, u16(0), true),
        encodeRecord(RecordType.AEAD_ALGORITHM, Buffer.from([0, 15, 1]), true),
      ],
    ],
    ["NTPv4 without AEAD", [encodeRecord(RecordType.NEXT_PROTOCOL, u16(0), true)]],
    [
      "an Error record from a client",
      [
        encodeRecord(RecordType.NEXT_PROTOCOL, u16(0), true),
        encodeRecord(RecordType.AEAD_ALGORITHM, u16(15), true),
        encodeRecord(RecordType.ERROR, u16(0), true),
      ],
    ],
  ] as const) {
    it(`answers ${name} with Bad Request`, () => {
      const result = read(Buffer.concat([...records, EOM]));
      assert.equal(result.kind, "error");
      assert.equal(result.kind === "error" && result.code, KeErrorCode.BAD_REQUEST);
    });
  }

  it("gives up with Bad Request once a request passes the bound without End of Message", () => {
    const reader = new KeRequestReader();
    const filler = encodeRecord(0x4001, Buffer.alloc(100), false);
    let result = reader.push(encodeRecord(RecordType.NEXT_PROTOCOL, u16(0), true));
    let sent = 8;
    while (result.kind === "incomplete") {
      result = reader.push(filler);
      sent += filler.length;
      assert.ok(sent <= MAX_REQUEST_BYTES + filler.length, "the bound was not enforced");
    }
    assert.equal(result.kind === "error" && result.code, KeErrorCode.BAD_REQUEST);
    // A record header claiming a long body that never comes counts too.
    const partial = new KeRequestReader();
    assert.equal(partial.push(Buffer.from([0, 9, 0xff, 0xff])).kind, "incomplete");
    assert.equal(partial.push(Buffer.alloc(MAX_REQUEST_BYTES)).kind, "error");
  });

  it("never throws, whatever the bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), (bytes) => {
        const result = new KeRequestReader().push(bytes);
        assert.ok(["incomplete", "request", "error"].includes(result.kind));
      }),
    );
  });
});

describe("negotiate and encodeResponse", () => {
  it("picks the client's first supported AEAD and sends NTPv4, the records and eight cookies", () => {
    const agreement = negotiate({ kind: "request", protocols: [5, 0], aeads: [30, 15] }, [0], [15]);
    assert.deepEqual(agreement, { protocol: 0, aead: 15 });
    const cookies = Array.from({ length: 8 }, (_, i) => Buffer.alloc(104, i));
    const records = decodeRecords(
      encodeResponse({ agreement, cookies, server: "ntp.example", port: 1234 }),
    );
    assert.ok(records);
    assert.deepEqual(
      records.map((r) => [r.type, r.critical]),
      [
        [RecordType.NEXT_PROTOCOL, true],
        [RecordType.AEAD_ALGORITHM, true],
        [RecordType.NTPV4_SERVER, true],
        [RecordType.NTPV4_PORT, true],
        ...cookies.map(() => [RecordType.NEW_COOKIE, false]),
        [RecordType.END_OF_MESSAGE, true],
      ],
    );
    assert.equal(records[2]?.body.toString(), "ntp.example");
    assert.equal(records[3]?.body.readUInt16BE(0), 1234);
  });

  it("sends an empty AEAD record and no cookies when no AEAD is shared", () => {
    const agreement = negotiate({ kind: "request", protocols: [0], aeads: [30] }, [0], [15]);
    const records = decodeRecords(encodeResponse({ agreement, cookies: [Buffer.alloc(4)] }));
    assert.deepEqual(
      records?.map((r) => [r.type, r.body.length]),
      [
        [RecordType.NEXT_PROTOCOL, 2],
        [RecordType.AEAD_ALGORITHM, 0],
        [RecordType.END_OF_MESSAGE, 0],
      ],
    );
  });

  it("sends an empty Next Protocol record when no protocol is shared", () => {
    const agreement = negotiate({ kind: "request", protocols: [7], aeads: [15] }, [0], [15]);
    const records = decodeRecords(encodeResponse({ agreement, cookies: [] }));
    assert.deepEqual(
      records?.map((r) => [r.type, r.body.length]),
      [
        [RecordType.NEXT_PROTOCOL, 0],
        [RecordType.END_OF_MESSAGE, 0],
      ],
    );
  });

  it("makes an Error response of the error and End of Message alone", () => {
    assert.deepEqual(
      encodeErrorResponse(KeErrorCode.BAD_REQUEST),
      Buffer.from([0x80, 2, 0, 2, 0, 1, 0x80, 0, 0, 0]),
    );
  });
});
