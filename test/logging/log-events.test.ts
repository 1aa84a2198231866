/**
 * The catalog of log events: each event's level, wording and fields, exactly
 * (they are a contract with whoever reads the log), and that an event at a
 * level that is off writes nothing.
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import * as log from "../../src/logging/log-events.js";
import { recordingLogger } from "../helpers/recording-logger.js";

const client = { address: "::1", port: 40000 };

describe("log events", () => {
  it("words a connection's life as the listener always has", () => {
    const { logger, sink } = recordingLogger("debug");
    log.connectionOpened(logger, "daytime", client);
    log.backpressure(logger, client);
    log.idleTimeout(logger, client);
    log.connectionClosed(logger, client, "idle-timeout");
    assert.deepEqual(sink.lines, [
      {
        level: "info",
        message: "Connection from [::1]:40000 (daytime)",
        fields: {
          event: "connection",
          protocol: "daytime",
          remoteAddress: "::1",
          remotePort: 40000,
        },
      },
      {
        level: "debug",
        message: "Client [::1]:40000 is not reading its replies; pausing its input",
        fields: { event: "backpressure", remoteAddress: "::1", remotePort: 40000 },
      },
      {
        level: "info",
        message: "Idle timeout: closing connection from [::1]:40000",
        fields: { event: "idle-timeout", remoteAddress: "::1", remotePort: 40000 },
      },
      {
        level: "info",
        message: "Connection closed from [::1]:40000",
        fields: {
          event: "disconnect",
          reason: "idle-timeout",
          remoteAddress: "::1",
          remotePort: 40000,
        },
      },
    ]);
  });

  it("words a refusal with its reason, detail, listener and what was left out, at the reason's level", () => {
    const { logger, sink } = recordingLogger("info");
    const who = { remoteAddress: "127.0.0.1", remotePort: 5000 };
    log.connectionRefused(logger, "line", who, "limit", 10, undefined, 0);
    log.connectionRefused(logger, "tls", who, "proxy-error", 10, "not a trusted proxy", 3);
    assert.deepEqual(
      sink.lines.map((line) => [line.level, line.message]),
      [
        ["warn", "Connection limit of 10 reached: refused 127.0.0.1:5000"],
        [
          "info",
          "Bad or missing PROXY protocol header: refused 127.0.0.1:5000 (not a trusted proxy) (tls) (3 more refused since the last message)",
        ],
      ],
    );
  });

  it("writes nothing for a level that is off", () => {
    const { logger, sink } = recordingLogger("warn");
    log.connectionOpened(logger, "line", client);
    log.timeServed(logger, client, "JAM 12:00:00");
    log.peerFinished(logger, client, 3);
    log.kissOfDeathSent(logger, client);
    assert.deepEqual(sink.lines, []);
    log.lineTooLong(logger, client, 1024);
    assert.equal(sink.lines.length, 1);
  });

  it("words a TIME request and its reply as two lines", () => {
    const { logger, sink } = recordingLogger("info");
    log.timeServed(logger, client, "JAM 12:00:00");
    assert.deepEqual(
      sink.lines.map((line) => line.message),
      ["Received: TIME from ::1", "Sent: JAM 12:00:00 to ::1"],
    );
    assert.equal(sink.lines[1]?.fields?.reply, "JAM 12:00:00");
  });
});
