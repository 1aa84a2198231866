import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { encodeTimeReply, INVALID_COMMAND_REPLY } from "../../../src/protocols/line/replies.js";

describe("replies", () => {
  it("encodes the time reply byte for byte", () => {
    assert.deepEqual(encodeTimeReply("07:05:09"), Buffer.from("JAM 07:05:09\r\n", "latin1"));
  });

  it("encodes the invalid-command reply byte for byte", () => {
    assert.equal(INVALID_COMMAND_REPLY.toString("latin1"), "Invalid command\r\n");
  });

  it("refuses a time of day that is not 24-hour hh:mm:ss", () => {
    for (const bad of ["7:05:09", "24:00:00", "12:60:00", "12:00:61", "12:00", "noon"]) {
      assert.throws(() => encodeTimeReply(bad), RangeError, bad);
    }
  });
});
