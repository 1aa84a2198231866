import assert from "node:assert/strict";
import { closeSync, mkdtempSync, openSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { createLogger } from "../../src/logging/create-logger.js";
import { JsonSink } from "../../src/logging/json-sink.js";
import type { EventLevel } from "../../src/logging/levels.js";
import { type LogFields, Logger } from "../../src/logging/logger.js";
import { TextSink } from "../../src/logging/text-sink.js";
import { fakeOutput } from "../helpers/fake-output.js";

function captureFile(): { fd: number; read: () => string; close: () => void } {
  const path = join(mkdtempSync(join(tmpdir(), "timeserver-log-")), "out.log");
  const fd = openSync(path, "w");
  return { fd, read: () => readFileSync(path, "utf8"), close: () => closeSync(fd) };
}

describe("Logger", () => {
  it("passes on only the levels at or above its own", () => {
    const seen: string[] = [];
    const logger = new Logger("warn", {
      write: (level: EventLevel, message: string, _fields: LogFields | undefined) =>
        seen.push(`${level}:${message}`),
      flush: () => {},
      close: async () => 0,
      dropped: 0,
    });
    logger.debug("d");
    logger.info("i");
    logger.warn("w");
    logger.error("e");
    assert.deepEqual(seen, ["warn:w", "error:e"]);
    assert.equal(logger.infoOn, false);
    assert.equal(logger.warnOn, true);
  });

  it("silent turns every level off", () => {
    const logger = new Logger("silent", {
      write: () => assert.fail("wrote"),
      flush: () => {},
      close: async () => 0,
      dropped: 0,
    });
    logger.error("nothing");
    assert.equal(logger.errorOn, false);
  });

  it("writes text lines in the original exercise's shape, with a timestamp and a worker label", () => {
    const file = captureFile();
    const logger = createLogger({ level: "info", format: "text", fd: file.fd, worker: 3 });
    logger.info("Received: TIME from 127.0.0.1");
    logger.flush();
    file.close();
    assert.match(
      file.read(),
      /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z \[INFO\] \[worker 3\] Received: TIME from 127\.0\.0\.1\n$/,
    );
  });

  it("writes one pino JSON object per line with the event's fields", () => {
    const file = captureFile();
    const logger = createLogger({ level: "info", format: "json", fd: file.fd });
    logger.info("Connection from 127.0.0.1:5", { event: "connection", remotePort: 5 });
    logger.warn("limit");
    logger.flush();
    file.close();
    const lines = file
      .read()
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line));
    assert.equal(lines.length, 2);
    assert.equal(lines[0].level, 30);
    assert.equal(lines[0].msg, "Connection from 127.0.0.1:5");
    assert.equal(lines[0].event, "connection");
    assert.equal(lines[0].remotePort, 5);
    assert.equal(lines[0].pid, process.pid);
    assert.equal(lines[1].level, 40);
  });

  it("keeps lines in the order they were logged across batches", async () => {
    const file = captureFile();
    const logger = createLogger({ level: "info", format: "text", fd: file.fd });
    for (let i = 0; i < 50; i++) {
      logger.info(`line ${i}`);
      if (i % 7 === 0) await new Promise(setImmediate);
    }
    logger.flush();
    file.close();
    const numbers = file
      .read()
      .trim()
      .split("\n")
      .map((line) => Number(line.split(" line ")[1]));
    assert.deepEqual(
      numbers,
      Array.from({ length: 50 }, (_, i) => i),
    );
  });

  it("marks lifecycle lines essential and writes them at every level but silent", () => {
    const seen: string[] = [];
    const logger = new Logger("warn", {
      write: (level, message, _fields, essential) =>
        seen.push(`${level}:${message}:${essential === true}`),
      flush: () => {},
      close: async () => 0,
      dropped: 7,
    });
    logger.lifecycle("info", "Listening on 127.0.0.1:1");
    logger.info("ordinary, below the level");
    logger.warn("ordinary");
    assert.deepEqual(seen, ["info:Listening on 127.0.0.1:1:true", "warn:ordinary:false"]);
    assert.equal(logger.droppedLines, 7);
  });

  it("writes the drop warning and the total in the log's own format (JSON)", async () => {
    const { destination, writer, endTurn } = fakeOutput({ maxBufferedBytes: 1 });
    const logger = new Logger("info", new JsonSink(destination, "info", { worker: 2 }));
    writer.mode = "hold";
    logger.info("first");
    endTurn();
    logger.info("queued");
    logger.info("dropped");
    logger.lifecycle("info", "Server stopped", { event: "stopped" });
    const closed = logger.close();
    writer.mode = "accept";
    writer.release();
    assert.equal(await closed, 0);
    const records = writer.written
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line));
    assert.deepEqual(
      records.map((r) => r.msg),
      [
        "first",
        "queued",
        "Log output is falling behind: dropped 1 lines in the last 0.0 s",
        "Server stopped",
        "Dropped 1 log lines in all",
      ],
    );
    assert.equal(logger.droppedLines, 1);
    for (const record of [records[2], records[4]]) {
      assert.equal(record.level, 40);
      assert.equal(record.worker, 2);
      assert.equal(record.pid, process.pid);
      assert.equal(typeof record.time, "string");
      assert.equal(record.dropped, 1);
    }
    assert.equal(records[2].event, "log-dropped");
    assert.equal(records[4].event, "log-dropped-total");
  });

  it("writes the drop warning in the text shape", () => {
    const { destination, writer, endTurn } = fakeOutput({ maxBufferedBytes: 1 });
    const logger = new Logger("info", new TextSink(destination));
    writer.mode = "hold";
    logger.info("first");
    endTurn();
    logger.info("queued");
    logger.info("dropped");
    writer.mode = "accept";
    writer.release();
    assert.match(
      writer.written.split("\n")[2] as string,
      /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z \[WARN\] Log output is falling behind: dropped 1 lines in the last 0\.0 s$/,
    );
  });
});
