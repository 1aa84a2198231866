import assert from "node:assert/strict";
import { closeSync, mkdtempSync, openSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { Destination, joinLinesUpTo } from "../../src/logging/destination.js";

describe("Destination", () => {
  it("joins the lines of one event-loop turn into one write, at the end of the turn", async () => {
    const path = join(mkdtempSync(join(tmpdir(), "timeserver-dest-")), "out.log");
    const fd = openSync(path, "w");
    const destination = new Destination(fd);
    destination.write("a\n");
    destination.write("b\n");
    assert.equal(readFileSync(path, "utf8"), "");
    await new Promise(setImmediate);
    assert.equal(readFileSync(path, "utf8"), "a\nb\n");
    closeSync(fd);
  });

  it("drops lines instead of buffering past its bound, and counts them", () => {
    const path = join(mkdtempSync(join(tmpdir(), "timeserver-dest-")), "out.log");
    const fd = openSync(path, "w");
    const destination = new Destination(fd, 10);
    assert.equal(destination.write("0123456789\n"), true);
    assert.equal(destination.write("dropped\n"), false);
    assert.equal(destination.dropped, 1);
    destination.flushSync();
    assert.equal(readFileSync(path, "utf8"), "0123456789\n");
    closeSync(fd);
  });

  it("survives a file descriptor that is gone", () => {
    const destination = new Destination(987654);
    destination.write("lost\n");
    assert.doesNotThrow(() => destination.flushSync());
  });

  it("when shared, cuts a batch only between lines, into pieces no larger than the atomic size", () => {
    assert.deepEqual(
      joinLinesUpTo(["aaaa\n", "bbbb\n", "cccc\n", "a-line-longer-than-ten\n", "d\n"], 10),
      ["aaaa\nbbbb\n", "cccc\n", "a-line-longer-than-ten\n", "d\n"],
    );
    assert.deepEqual(joinLinesUpTo(["é\n", "é\n", "é\n", "é\n"], 6), ["é\né\n", "é\né\n"]);
  });
});
