import assert from "node:assert/strict";
import { closeSync, mkdtempSync, openSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { createLogger } from "../../src/logging/create-logger.js";
import type { EventLevel } from "../../src/logging/levels.js";
import { type LogFields, Logger } from "../../src/logging/logger.js";

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
    const logger = new Logger("silent", { write: () => assert.fail("wrote"), flush: () => {} });
    logger.error("nothing");
    assert.equal(logger.errorOn, false);
  });

  it("writes text lines in the seed's shape, with a timestamp and a worker label", () => {
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
});
