import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { PIPE_BUF } from "../../src/logging/destination.js";
import { fakeOutput } from "../helpers/fake-output.js";

const lines = (text: string) => text.split("\n").filter((line) => line.length > 0);
const noticeCounts = (text: string) =>
  lines(text)
    .map((line) => /dropped (\d+) lines in the last/.exec(line)?.[1])
    .filter((count) => count !== undefined)
    .map(Number);

describe("Destination", () => {
  it("joins the lines of one event-loop turn into one write, at the end of the turn", () => {
    const { destination, writer, endTurn } = fakeOutput();
    destination.write("a\n");
    destination.write("b\n");
    assert.deepEqual(writer.chunks, []);
    endTurn();
    assert.deepEqual(writer.chunks, ["a\nb\n"]);
  });

  it("writes as soon as a batch is pending, without waiting for the end of the turn", () => {
    const { destination, writer } = fakeOutput({ batchBytes: 10 });
    destination.write("12345\n");
    assert.deepEqual(writer.chunks, []);
    destination.write("67890\n");
    assert.deepEqual(writer.chunks, ["12345\n67890\n"]);
  });

  it("drops ordinary lines past its bound, counts them, and says so in the log where the gap is", () => {
    const { destination, writer, endTurn } = fakeOutput({ maxBufferedBytes: 10 });
    writer.mode = "hold";
    destination.write("first\n");
    endTurn(); // "first" is in flight; the reader is stuck
    assert.equal(destination.write("0123456789\n"), true);
    assert.equal(destination.write("dropped-1\n"), false);
    assert.equal(destination.write("dropped-2\n"), false);
    assert.equal(destination.dropped, 2);
    writer.mode = "accept";
    writer.release();
    destination.write("after\n");
    endTurn();
    assert.deepEqual(lines(writer.written), [
      "first",
      "0123456789",
      "NOTICE Log output is falling behind: dropped 2 lines in the last 0.0 s",
      "after",
    ]);
  });

  it("warns at most once a second, and the warnings add up to every line dropped", () => {
    const { destination, writer, endTurn, advance } = fakeOutput({ maxBufferedBytes: 4 });
    let dropped = 0;
    const write = (line: string) => {
      if (!destination.write(line)) dropped++;
    };
    for (let ms = 0; ms < 3000; ms += 100) {
      writer.mode = "hold";
      write("keep\n");
      endTurn();
      for (let i = 0; i < 5; i++) write(`x${i}\n`);
      writer.mode = "accept";
      writer.release();
      destination.tick();
      advance(100);
    }
    advance(1000);
    destination.tick();
    endTurn();
    const counts = noticeCounts(writer.written);
    assert.ok(counts.length <= 4, `${counts.length} notices in 3 s: ${counts}`);
    assert.ok(dropped > 0);
    assert.equal(
      counts.reduce((a, b) => a + b, 0),
      dropped,
    );
    assert.equal(destination.dropped, dropped);
  });

  it("reports drops that follow a warning within the second once the second is over", () => {
    const { destination, writer, endTurn, advance } = fakeOutput({ maxBufferedBytes: 1 });
    writer.mode = "hold";
    destination.write("a\n");
    endTurn();
    destination.write("b\n");
    destination.write("lost\n"); // notice 1, queued behind b
    writer.mode = "accept";
    writer.release(); // b and notice 1 written
    writer.mode = "hold";
    destination.write("c\n");
    destination.write("d\n");
    endTurn();
    destination.write("lost\n");
    destination.write("lost\n"); // within the second: held back, not a new notice yet
    advance(500);
    destination.tick();
    assert.deepEqual(noticeCounts(writer.chunks.join("")), [1]);
    advance(500);
    destination.tick();
    writer.mode = "accept";
    writer.release();
    assert.deepEqual(noticeCounts(writer.written), [1, 2]);
    assert.match(writer.written, /dropped 2 lines in the last 1\.0 s/);
  });

  it("never drops an essential line, and keeps it in order with the rest", () => {
    const { destination, writer, endTurn } = fakeOutput({ maxBufferedBytes: 5 });
    writer.mode = "hold";
    destination.write("one\n");
    endTurn();
    destination.write("two\n");
    destination.write("three\n");
    assert.equal(destination.write("Received SIGTERM\n", true), true);
    destination.write("four\n");
    assert.equal(destination.write("Server stopped\n", true), true);
    writer.mode = "accept";
    writer.release();
    endTurn();
    assert.deepEqual(lines(writer.written), [
      "one",
      "two",
      "three",
      "Received SIGTERM",
      "NOTICE Log output is falling behind: dropped 1 lines in the last 0.0 s",
      "Server stopped",
    ]);
    assert.equal(destination.dropped, 1);
  });

  it("keeps lines in the order they were logged across batches and stalls", () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom("line", "turn", "stall", "release"), { maxLength: 200 }),
        (steps) => {
          const { destination, writer, endTurn } = fakeOutput({ batchBytes: 20 });
          let n = 0;
          for (const step of steps) {
            if (step === "line") destination.write(`${n++}\n`);
            else if (step === "turn") endTurn();
            else if (step === "stall") writer.mode = "hold";
            else {
              writer.mode = "accept";
              writer.release();
            }
          }
          writer.mode = "accept";
          writer.release();
          endTurn();
          assert.deepEqual(
            lines(writer.written).map(Number),
            Array.from({ length: n }, (_, i) => i),
          );
        },
      ),
    );
  });

  it("when shared, writes whole lines in pieces no larger than PIPE_BUF", () => {
    fc.assert(
      fc.property(
        fc.array(fc.string({ unit: "grapheme", maxLength: 300 }), { maxLength: 200 }),
        (texts) => {
          const { destination, writer, endTurn } = fakeOutput({ atomicWriteBytes: PIPE_BUF });
          const logged = texts.map((text) => `${text.replaceAll("\n", " ")}\n`);
          for (const line of logged) destination.write(line);
          endTurn();
          for (const chunk of writer.chunks) {
            assert.ok(
              Buffer.byteLength(chunk) <= PIPE_BUF,
              `a ${Buffer.byteLength(chunk)}-byte piece`,
            );
            assert.ok(chunk.endsWith("\n"), "a piece that cuts a line");
          }
          assert.equal(writer.chunks.join(""), logged.join(""));
        },
      ),
    );
  });

  it("counts the lines of a reader that went away as dropped", () => {
    const { destination, writer, endTurn } = fakeOutput();
    writer.mode = "lose";
    destination.write("a\n");
    destination.write("b\n");
    endTurn();
    assert.equal(destination.dropped, 2);
  });

  it("on close, reports the drops not yet reported and the total, then resolves when written", async () => {
    const { destination, writer, endTurn } = fakeOutput({ maxBufferedBytes: 1 });
    writer.mode = "hold";
    destination.write("a\n");
    endTurn();
    destination.write("b\n");
    destination.write("lost\n");
    const closed = destination.close();
    writer.mode = "accept";
    writer.release();
    assert.equal(await closed, 0);
    assert.deepEqual(lines(writer.written), [
      "a",
      "b",
      "NOTICE Log output is falling behind: dropped 1 lines in the last 0.0 s",
      "NOTICE Dropped 1 log lines in all",
    ]);
  });

  it("on close, gives up on a stuck reader when its time is up and counts what was left", async () => {
    const { destination, writer, endTurn, fireTimers } = fakeOutput();
    writer.mode = "hold";
    destination.write("a\n");
    endTurn();
    destination.write("b\n");
    destination.write("c\n");
    const closed = destination.close();
    fireTimers();
    assert.equal(await closed, 3);
    assert.equal(destination.dropped, 3);
  });

  it("writes no total when nothing was dropped", async () => {
    const { destination, writer } = fakeOutput();
    destination.write("a\n");
    assert.equal(await destination.close(), 0);
    assert.equal(writer.written, "a\n");
  });
});
