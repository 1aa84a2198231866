import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  encodeRequestLine,
  QUIT_REQUEST_BYTES,
  repeatRequest,
  TIME_REQUEST_BYTES,
} from "../../../src/protocols/line/requests.js";
import { TimeProtocol } from "../../../src/protocols/line/time-protocol.js";

describe("request bytes", () => {
  it("are the exact lines the server accepts", () => {
    assert.equal(TIME_REQUEST_BYTES.toString("latin1"), "TIME\r\n");
    assert.equal(QUIT_REQUEST_BYTES.toString("latin1"), "QUIT\r\n");
    const server = new TimeProtocol();
    server.receiveData(Buffer.concat([TIME_REQUEST_BYTES, QUIT_REQUEST_BYTES]));
    assert.equal((server.nextEvent() as { type: string }).type, "time");
    assert.equal((server.nextEvent() as { type: string }).type, "quit");
  });

  it("encode any text as one CRLF line in UTF-8", () => {
    assert.deepEqual(encodeRequestLine("TIME"), TIME_REQUEST_BYTES);
    assert.equal(encodeRequestLine("").toString("latin1"), "\r\n");
    assert.deepEqual(encodeRequestLine("é"), Buffer.from([0xc3, 0xa9, 0x0d, 0x0a]));
  });

  it("refuse text that would be more than one line", () => {
    assert.throws(() => encodeRequestLine("TIME\nQUIT"), RangeError);
    assert.throws(() => encodeRequestLine("TIME\r\n"), RangeError);
  });

  it("repeat back to back for a pipelined write", () => {
    assert.equal(repeatRequest(TIME_REQUEST_BYTES, 3).toString("latin1"), "TIME\r\n".repeat(3));
    assert.equal(repeatRequest(TIME_REQUEST_BYTES, 0).length, 0);
    assert.throws(() => repeatRequest(TIME_REQUEST_BYTES, -1), RangeError);
  });
});
