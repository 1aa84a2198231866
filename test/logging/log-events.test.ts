/**
 * The catalog of log events: each event's level, wording and fields, exactly
 * (they are a contract with whoever reads the log), and that an event at a
 * level that is off writes nothing.
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { ServedClock } from "../../src/clock/served-clock.js";
import * as log from "../../src/logging/log-events.js";
import { type RecordingSink, recordingLogger } from "../helpers/recording-logger.js";

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

/**
 * The lines of the process's and the cluster's life, each from its one
 * function: level, exact text and fields in order (JSON output keeps the
 * order). The integration tests match these texts with patterns; here they
 * are spelled out in full.
 */
describe("lifecycle events", () => {
  /** [level, message, fields] of every line, fields as JSON shows them (order included). */
  const shown = (sink: RecordingSink) =>
    sink.lines.map((line) => [line.level, line.message, JSON.stringify(line.fields)]);

  it("words the signals, reloads and shutdown of one process", () => {
    const { logger, sink } = recordingLogger("info");
    log.sigusr1Ignored(logger);
    log.sighupIgnored(logger);
    log.reloading(logger);
    log.nothingToReload(logger);
    log.tlsCertificateReloaded(logger, "/etc/ts/cert.pem", "/etc/ts/key.pem");
    log.ntsSecretReloaded(logger, "/etc/ts/nts.key");
    log.ntsKeCertificateReloaded(logger, "/etc/ts/cert.pem");
    log.reloadFailed(logger, "TLS certificate", new Error("ENOENT: no such file"));
    log.reloadFailed(logger, "NTS secret", "not 32 bytes");
    log.reloadFailed(logger, "NTS-KE certificate", new Error("bad PEM"));
    log.shuttingDown(logger, "SIGTERM");
    log.shutdownForced(logger, "SIGINT");
    log.serverStopped(logger);
    assert.deepEqual(shown(sink), [
      [
        "warn",
        "Received SIGUSR1; ignored (the inspector is off; start with node --inspect to debug)",
        '{"event":"signal-ignored","signal":"SIGUSR1"}',
      ],
      [
        "info",
        "Received SIGHUP; nothing to reload",
        '{"event":"signal-ignored","signal":"SIGHUP"}',
      ],
      ["info", "Received SIGHUP; reloading", '{"event":"reload","signal":"SIGHUP"}'],
      ["info", "Nothing to reload (no TLS listener)", '{"event":"reload"}'],
      [
        "info",
        "Reloaded the TLS certificate /etc/ts/cert.pem and key /etc/ts/key.pem",
        '{"event":"reload"}',
      ],
      ["info", "Reloaded the NTS secret /etc/ts/nts.key", '{"event":"reload"}'],
      ["info", "Reloaded the NTS-KE certificate /etc/ts/cert.pem", '{"event":"reload"}'],
      ["warn", "Kept the old TLS certificate: ENOENT: no such file", '{"event":"reload-failed"}'],
      ["warn", "Kept the old NTS secret: not 32 bytes", '{"event":"reload-failed"}'],
      ["warn", "Kept the old NTS-KE certificate: bad PEM", '{"event":"reload-failed"}'],
      ["info", "Received SIGTERM; shutting down", '{"event":"shutdown","signal":"SIGTERM"}'],
      [
        "warn",
        "Received SIGINT again; exiting at once",
        '{"event":"shutdown-forced","signal":"SIGINT"}',
      ],
      ["info", "Server stopped", '{"event":"stopped"}'],
    ]);
  });

  it("words the limits found at start", () => {
    const { logger, sink } = recordingLogger("info");
    log.tlsConnectionLimit(logger, 4200, 256 * 2 ** 20, 1);
    log.tlsConnectionLimit(logger, 2100, 256 * 2 ** 20, 2);
    log.descriptorBudgetShort(logger, 1024, 971, 20064);
    log.workersOverCores(logger, 256, 2);
    log.workersOverCores(logger, 2, 1);
    assert.deepEqual(shown(sink), [
      [
        "info",
        "TLS connections limited to 4200 per process: what 256 MiB of memory holds (set --tls-max-connections to choose)",
        '{"event":"tls-limit","maxConnections":4200,"memoryBytes":268435456}',
      ],
      [
        "info",
        "TLS connections limited to 2100 per process: what 256 MiB of memory holds shared by 2 workers (set --tls-max-connections to choose)",
        '{"event":"tls-limit","maxConnections":2100,"memoryBytes":268435456}',
      ],
      [
        "warn",
        "The file-descriptor limit (1024) leaves room for about 971 connections across all listeners; serving at most 971 instead of 20064. Raise the limit (ulimit -n, or LimitNOFILE= in a systemd unit) or lower --max-connections",
        '{"event":"descriptor-limit","limit":1024,"maxConnections":971}',
      ],
      [
        "warn",
        "Running 256 workers on 2 available CPU cores: workers beyond one per core add memory and context switches, not throughput (--workers auto starts 2)",
        '{"event":"workers-over-cores","workers":256,"cores":2}',
      ],
      [
        "warn",
        "Running 2 workers on 1 available CPU core: workers beyond one per core add memory and context switches, not throughput (--workers auto starts 1)",
        '{"event":"workers-over-cores","workers":2,"cores":1}',
      ],
    ]);
  });

  it("words the kernel clock's state as SNTP replies will show it, a warning while they say LI 3", () => {
    const { logger, sink } = recordingLogger("info");
    const unsynchronised = { synchronised: false, leap: 3, stratum: 0 } as ServedClock;
    const local = { synchronised: false, leap: 0, stratum: 10 } as ServedClock;
    const synchronised = { synchronised: true, leap: 0, stratum: 10 } as ServedClock;
    const kernel = (status: number) => ({ state: 0, status, maxErrorUs: 1500, estErrorUs: 0 });
    log.clockState(logger, undefined, "the native module is not built", unsynchronised);
    log.clockState(logger, undefined, "the native module is not built", local);
    log.clockState(logger, kernel(0x40), undefined, unsynchronised);
    log.clockState(logger, kernel(0x40), undefined, local);
    log.clockState(logger, kernel(0x2001), undefined, synchronised);
    const fields = (served: ServedClock) =>
      `{"event":"clock-state","synchronised":${served.synchronised},"leap":${served.leap},"stratum":${served.stratum}}`;
    assert.deepEqual(shown(sink), [
      [
        "warn",
        "The kernel clock's state cannot be read (the native module is not built): SNTP replies say LI 3, stratum 0 (--local serves anyway)",
        fields(unsynchronised),
      ],
      [
        "info",
        "The kernel clock's state cannot be read (the native module is not built): SNTP replies say LI 0, stratum 10 (--local)",
        fields(local),
      ],
      [
        "warn",
        "The kernel clock is not synchronised (ntp_adjtime status 0x40): SNTP replies say LI 3, stratum 0 until it is (--local serves anyway)",
        fields(unsynchronised),
      ],
      [
        "info",
        "The kernel clock is not synchronised (ntp_adjtime status 0x40): SNTP replies say LI 0, stratum 10 (--local)",
        fields(local),
      ],
      [
        "info",
        "The kernel clock is synchronised (maximum error 1500 µs): SNTP replies say LI 0, stratum 10",
        fields(synchronised),
      ],
    ]);
  });

  it("words the metrics endpoint's lines and systemd's failures", () => {
    const { logger, sink } = recordingLogger("info");
    log.metricsListening(logger, "127.0.0.1", 9464);
    log.metricsListening(logger, "::1", 9464);
    log.metricsRefused(logger, "limit", 64, "127.0.0.1:5000", 0);
    log.metricsRefused(logger, "descriptor-limit", 971, "[::1]:5000", 7);
    log.notifyNotRun(logger, "systemd-notify", "ENOENT");
    log.notifyFailed(
      logger,
      "systemd-notify",
      "READY=1",
      1,
      "  Failed to notify\n  init system: No such file  \n",
    );
    log.notifyFailed(logger, "systemd-notify", "STOPPING=1", 2, "");
    assert.deepEqual(shown(sink), [
      [
        "info",
        "Metrics on http://127.0.0.1:9464/metrics (also /healthz, /readyz)",
        '{"event":"listening","protocol":"metrics","address":"127.0.0.1","port":9464}',
      ],
      [
        "info",
        "Metrics on http://[::1]:9464/metrics (also /healthz, /readyz)",
        '{"event":"listening","protocol":"metrics","address":"::1","port":9464}',
      ],
      [
        "warn",
        "Connection limit of 64 reached: refused 127.0.0.1:5000 (metrics)",
        '{"event":"rejected","reason":"limit","protocol":"metrics","suppressed":0}',
      ],
      [
        "warn",
        "Connection limit of 971 reached across all listeners (file descriptors): refused [::1]:5000 (metrics) (7 more refused since the last message)",
        '{"event":"rejected","reason":"descriptor-limit","protocol":"metrics","suppressed":7}',
      ],
      [
        "warn",
        "Cannot tell systemd the service state: systemd-notify did not run (ENOENT)",
        '{"event":"notify-failed","command":"systemd-notify"}',
      ],
      [
        "warn",
        "systemd-notify READY=1 failed (exit code 1): Failed to notify init system: No such file",
        '{"event":"notify-failed","command":"systemd-notify","state":"READY=1"}',
      ],
      [
        "warn",
        "systemd-notify STOPPING=1 failed (exit code 2): no message",
        '{"event":"notify-failed","command":"systemd-notify","state":"STOPPING=1"}',
      ],
    ]);
  });

  it("words the cluster's life: workers, the socket keeper, the totals", () => {
    const { logger, sink } = recordingLogger("info");
    log.workerStarted(logger, 1, 4242, false);
    log.workerStarted(logger, 2, 4343, true);
    log.clusterListening(logger, "0.0.0.0", 45000, 2);
    log.keeperFailed(logger, "EADDRINUSE");
    log.workerDied(logger, 2, 4343, "signal SIGKILL", 100);
    log.shuttingDown(logger, "SIGTERM", 2);
    log.shutdownForced(logger, "SIGINT", true);
    log.draining(logger);
    log.workerStopped(logger);
    log.workerExited(logger, 1, 4242, "exit code 0");
    log.workerKilled(logger, 2, 4444, 5000);
    log.clusterTotals(logger, 1, 1, 2, 0);
    log.clusterTotals(logger, 3, 12, 2, 1);
    log.clusterTotals(logger, 0, 0, 2, 2);
    log.serverStopped(logger);
    assert.deepEqual(shown(sink), [
      [
        "info",
        "Started worker 1 (pid 4242)",
        '{"event":"worker-started","workerId":1,"workerPid":4242}',
      ],
      [
        "warn",
        "Restarted worker 2 (pid 4343)",
        '{"event":"worker-restarted","workerId":2,"workerPid":4343}',
      ],
      [
        "info",
        "Listening on 0.0.0.0:45000 with 2 workers",
        '{"event":"listening","address":"0.0.0.0","port":45000,"workers":2}',
      ],
      [
        "warn",
        "The listening sockets will close whenever every worker is down: the socket keeper could not hold them (EADDRINUSE)",
        '{"event":"keeper-failed"}',
      ],
      [
        "warn",
        "Worker 2 (pid 4343) died (signal SIGKILL); restarting it in 100 ms",
        '{"event":"worker-died","workerId":2,"workerPid":4343,"exit":"signal SIGKILL","restartInMs":100}',
      ],
      [
        "info",
        "Received SIGTERM; shutting down 2 workers",
        '{"event":"shutdown","signal":"SIGTERM"}',
      ],
      [
        "warn",
        "Received SIGINT again; killing the workers",
        '{"event":"shutdown-forced","signal":"SIGINT"}',
      ],
      ["info", "Draining: no new connections; closing the open ones", '{"event":"drain"}'],
      ["info", "Worker stopped", '{"event":"stopped"}'],
      [
        "info",
        "Worker 1 (pid 4242) exited (exit code 0)",
        '{"event":"worker-exited","workerId":1,"workerPid":4242,"exit":"exit code 0"}',
      ],
      [
        "warn",
        "Worker 2 (pid 4444) did not stop within 5000 ms; killing it",
        '{"event":"worker-killed","workerId":2,"workerPid":4444}',
      ],
      [
        "info",
        "Served 1 connection and 1 TIME request across 2 workers",
        '{"event":"totals","accepted":1,"timeRequests":1,"workers":2,"restarts":0}',
      ],
      [
        "info",
        "Served 3 connections and 12 TIME requests across 2 workers (1 restart)",
        '{"event":"totals","accepted":3,"timeRequests":12,"workers":2,"restarts":1}',
      ],
      [
        "info",
        "Served 0 connections and 0 TIME requests across 2 workers (2 restarts)",
        '{"event":"totals","accepted":0,"timeRequests":0,"workers":2,"restarts":2}',
      ],
      ["info", "Server stopped", '{"event":"stopped"}'],
    ]);
  });

  it("words NTS's lines", () => {
    const { logger, sink } = recordingLogger("info");
    log.ntsKeAnswered(logger, client, "[::1]:40000", "ok", 8, undefined);
    log.ntsKeAnswered(logger, client, "[::1]:40000", "bad-request", 8, "no AEAD offered");
    log.ntsKeAnswered(logger, client, "[::1]:40000", "bad-request", 8, undefined);
    log.ntsNakSent(logger, client);
    log.ntsReplySent(logger, client, 2);
    const ke = (result: string) =>
      `{"event":"nts-ke","protocol":"nts-ke","result":"${result}","remoteAddress":"::1","remotePort":40000}`;
    assert.deepEqual(shown(sink), [
      ["info", "Sent: NTS-KE response with 8 cookies to [::1]:40000", ke("ok")],
      ["info", "Sent: NTS-KE bad-request to [::1]:40000: no AEAD offered", ke("bad-request")],
      ["info", "Sent: NTS-KE bad-request to [::1]:40000", ke("bad-request")],
      [
        "info",
        "Sent: NTS NAK to ::1 (a cookie that does not open)",
        '{"event":"nts-nak","protocol":"ntp","remoteAddress":"::1"}',
      ],
      [
        "info",
        "Sent: NTS-authenticated NTP reply with 2 cookies to ::1",
        '{"event":"sent","protocol":"ntp","nts":true,"cookies":2,"remoteAddress":"::1","remotePort":40000}',
      ],
    ]);
  });

  it("writes lifecycle lines at every level but silent, and never drops them; the others keep to their level", () => {
    const { logger, sink } = recordingLogger("error");
    log.serverStopped(logger);
    log.workerStarted(logger, 1, 4242, false);
    log.sigusr1Ignored(logger);
    log.workerDied(logger, 2, 4343, "signal SIGKILL", 100);
    log.workerExited(logger, 1, 4242, "exit code 0");
    assert.deepEqual(
      sink.lines.map((line) => line.message),
      ["Server stopped", "Started worker 1 (pid 4242)"],
    );
    assert.deepEqual(sink.essential, [true, true]);
    const silent = recordingLogger("silent");
    log.serverStopped(silent.logger);
    assert.deepEqual(silent.sink.lines, []);
  });

  it("words the log's own notices of lines it dropped", () => {
    assert.deepEqual(log.logFallingBehind(1234, 1), {
      message: "Log output is falling behind: dropped 1234 lines in the last 1.0 s",
      fields: { event: "log-dropped", dropped: 1234 },
    });
    assert.deepEqual(log.logDroppedInAll(5), {
      message: "Dropped 5 log lines in all",
      fields: { event: "log-dropped-total", dropped: 5 },
    });
  });
});

/** The request path's other lines, spelled out the same way. */
describe("request path events", () => {
  const shown = (sink: RecordingSink) =>
    sink.lines.map((line) => [line.level, line.message, JSON.stringify(line.fields)]);
  const plainError = (message: string, code?: string) =>
    Object.assign(new Error(message), code === undefined ? {} : { code });

  it("words the listeners' own lines", () => {
    const { logger, sink } = recordingLogger("debug");
    log.tcpListening(logger, "line", "0.0.0.0", 45000);
    log.tcpListening(logger, "daytime", "::", 13);
    log.udpListening(logger, "ntp", "127.0.0.1", 123, "native");
    log.udpOnThread(logger);
    log.descriptorLimit(logger, "tls", 1024, 971, 10000);
    log.acceptFailed(logger, plainError("too many open files (made up)"));
    log.internalError(logger, "line", "192.0.2.1", new Error("boom\nat line 2"), 2);
    log.internalError(logger, "rfc868", undefined, "odd", 0);
    log.handshakeTimedOut(logger, "tls", client, 10_000, 0);
    log.connectionError(logger, "line", client, plainError("socket hang up", "ECONNRESET_MADE_UP"));
    log.connectionError(
      logger,
      "tls",
      client,
      Object.assign(new Error("long\nOpenSSL text\n"), {
        code: "ERR_SSL_WRONG_VERSION_NUMBER",
        reason: "wrong version number",
      }),
    );
    assert.deepEqual(shown(sink), [
      [
        "info",
        "Listening on 0.0.0.0:45000",
        '{"event":"listening","protocol":"line","address":"0.0.0.0","port":45000}',
      ],
      [
        "info",
        "Listening on [::]:13 (daytime)",
        '{"event":"listening","protocol":"daytime","address":"::","port":13}',
      ],
      [
        "info",
        "Listening on 127.0.0.1:123 (ntp, UDP, native)",
        '{"event":"listening","protocol":"ntp","transport":"udp","backend":"native","address":"127.0.0.1","port":123}',
      ],
      [
        "info",
        "UDP is served from a thread of its own (--udp-thread): datagrams never wait behind TCP work",
        '{"event":"udp-thread"}',
      ],
      [
        "warn",
        "The file-descriptor limit (1024) leaves room for about 971 connections (tls); serving at most 971 instead of 10000. Raise the limit (ulimit -n, or LimitNOFILE= in a systemd unit) or lower --max-connections",
        '{"event":"descriptor-limit","limit":1024,"maxConnections":971}',
      ],
      [
        "error",
        "Accepting a connection failed: too many open files (made up)",
        '{"event":"accept-error"}',
      ],
      [
        "warn",
        "Closed a connection from 192.0.2.1: serving it failed: boom (2 more closed since the last message)",
        '{"event":"internal-error","remoteAddress":"192.0.2.1","suppressed":2}',
      ],
      [
        "warn",
        "Closed a connection from unknown (rfc868): serving it failed: odd",
        '{"event":"internal-error","suppressed":0}',
      ],
      [
        "info",
        "TLS handshake not done within 10 s: closed [::1]:40000 (tls)",
        '{"event":"handshake-timeout","remoteAddress":"::1","remotePort":40000,"suppressed":0}',
      ],
      [
        "info",
        "Connection error from [::1]:40000: socket hang up",
        '{"event":"connection-error","remoteAddress":"::1","remotePort":40000,"code":"ECONNRESET_MADE_UP"}',
      ],
      [
        "info",
        "TLS error from [::1]:40000: wrong version number (tls)",
        '{"event":"connection-error","remoteAddress":"::1","remotePort":40000,"code":"ERR_SSL_WRONG_VERSION_NUMBER"}',
      ],
    ]);
  });

  it("words a dropped datagram and a failed send", () => {
    const { logger, sink } = recordingLogger("info");
    const v4 = { address: "192.0.2.1", port: 0 };
    log.datagramDropped(
      logger,
      "daytime",
      v4,
      "source-port",
      "source port 0, no reply possible",
      0,
    );
    log.datagramDropped(logger, "ntp", client, "rate-limit", undefined, 5);
    log.datagramDropped(logger, "rfc868", client, "error", "boom", 0, "warn");
    log.sendFailed(logger, "ntp", plainError("send failed (made up)"));
    assert.deepEqual(shown(sink), [
      [
        "info",
        "No reply to a daytime datagram from 192.0.2.1:0: source port 0, no reply possible",
        '{"event":"dropped","protocol":"daytime","reason":"source-port","remoteAddress":"192.0.2.1","suppressed":0}',
      ],
      [
        "info",
        "No reply to a ntp datagram from [::1]:40000: rate-limit (5 more dropped since the last message)",
        '{"event":"dropped","protocol":"ntp","reason":"rate-limit","remoteAddress":"::1","suppressed":5}',
      ],
      [
        "warn",
        "No reply to a rfc868 datagram from [::1]:40000: boom",
        '{"event":"dropped","protocol":"rfc868","reason":"error","remoteAddress":"::1","suppressed":0}',
      ],
      [
        "warn",
        "Sending a ntp reply failed: send failed (made up)",
        '{"event":"send-error","protocol":"ntp"}',
      ],
    ]);
  });

  it("words the line protocol's and the standard protocols' requests", () => {
    const { logger, sink } = recordingLogger("info");
    log.invalidCommand(logger, client, "HELLO\\x00");
    log.quitReceived(logger, client);
    log.greetingServed(
      logger,
      "rfc868",
      client,
      "RFC 868 TIME",
      "3973766400 (2025-12-03T00:00:00.000Z)",
    );
    log.ntpReceived(logger, client);
    log.ntpSent(logger, client, 10);
    const line = (event: string, command?: string) =>
      JSON.stringify({ event, command, reply: undefined, remoteAddress: "::1", remotePort: 40000 });
    const greeting = (event: string, protocol: string) =>
      `{"event":"${event}","protocol":"${protocol}","remoteAddress":"::1","remotePort":40000}`;
    assert.deepEqual(shown(sink), [
      [
        "info",
        'Received invalid command "HELLO\\x00" from ::1',
        line("invalid-command", "HELLO\\x00"),
      ],
      ["info", "Received: QUIT from ::1", line("received", "QUIT")],
      ["info", "Received: RFC 868 TIME request from ::1", greeting("received", "rfc868")],
      ["info", "Sent: 3973766400 (2025-12-03T00:00:00.000Z) to ::1", greeting("sent", "rfc868")],
      ["info", "Received: NTP request from ::1", greeting("received", "ntp")],
      ["info", "Sent: NTP reply (stratum 10) to ::1", greeting("sent", "ntp")],
    ]);
  });
});
