/**
 * The standard protocols as real clients meet them: the real binary serves
 * RFC 867, RFC 868 and SNTP beside the line protocol, and Debian's rdate,
 * chronyd and nmap get the right time from it (checked against this test's
 * own clock, to within seconds, and chronyd's measured offset to within
 * 0.1 s: correctness checks, not timing ones). Mode 6 and 7
 * probes get nothing. With no protocol flag the server opens one socket only;
 * bad flags and taken ports end in one line and the documented exit code.
 */

import assert from "node:assert/strict";
import dgram from "node:dgram";
import { after, before, describe, it } from "node:test";
import { pickDualPorts } from "../helpers/dual-port.js";
import { inetSocketsOf } from "../helpers/proc-sockets.js";
import { describeRun, type ExternalResult, runExternal } from "../helpers/run-external.js";
import { runProgram, SERVER_BIN, startServerFor } from "../helpers/server-process.js";
import { type StandardServer, startStandardServerFor } from "../helpers/standard-server.js";
import { udpClientFor } from "../helpers/udp-client.js";
import { connectFor, TIME_REPLY } from "../helpers/wire-client.js";
import { datagram } from "../protocols/sntp-datagrams.js";

const RDATE = "/usr/sbin/rdate";
const CHRONYD = "/usr/sbin/chronyd";
const NMAP = "/usr/bin/nmap";
const CLIENT_ENV = { TZ: "UTC", LC_ALL: "C" };
/** How far a printed time (whole seconds, read by a separate process) may be from ours. */
const SLACK_MS = 5000;

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

async function run(bin: string, args: string[], timeoutMs = 60_000): Promise<ExternalResult> {
  const result = await runExternal(bin, args, { env: CLIENT_ENV, timeoutMs });
  assert.equal(result.code, 0, describeRun(bin, args, result));
  return result;
}

/** `Thu Nov 26 15:23:47 UTC 2026` (rdate -p with TZ=UTC) as epoch milliseconds. */
function parseRdate(output: string): number {
  const match = /\w{3} (\w{3}) +(\d{1,2}) (\d\d):(\d\d):(\d\d) UTC (\d{4})/.exec(output);
  assert.ok(match, `no date in rdate's output: ${JSON.stringify(output)}`);
  const [, month, day, hh, mm, ss, year] = match as unknown as string[];
  return Date.UTC(
    Number(year),
    MONTHS.indexOf(month as string),
    Number(day),
    Number(hh),
    Number(mm),
    Number(ss),
  );
}

/** nmap's `daytime: Thursday, November 26, 2026 15:26:38-UTC` as epoch milliseconds. */
function parseDaytimeLine(output: string): number {
  const match =
    /daytime: (\w+), (\w+) (\d{1,2}), (\d{4}) (\d\d):(\d\d):(\d\d)-UTC/.exec(output) ??
    assert.fail(`no daytime line in nmap's output:\n${output}`);
  const [, weekday, month, day, year, hh, mm, ss] = match as unknown as string[];
  const ms = Date.UTC(
    Number(year),
    MONTHS.indexOf((month as string).slice(0, 3)),
    Number(day),
    Number(hh),
    Number(mm),
    Number(ss),
  );
  const expectedWeekday = new Date(ms).toLocaleDateString("en-US", {
    weekday: "long",
    timeZone: "UTC",
  });
  assert.equal(weekday, expectedWeekday, "the weekday does not fit the date");
  return ms;
}

/** nmap's `rfc868-time: 2026-11-26T15:26:39` (UTC with TZ=UTC) as epoch milliseconds. */
function parseRfc868Line(output: string): number {
  const match =
    /rfc868-time: (\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)/.exec(output) ??
    assert.fail(`no rfc868-time line in nmap's output:\n${output}`);
  return Date.parse(`${match[1]}Z`);
}

function assertNearNow(printedMs: number, before: number, what: string): void {
  const after = Date.now();
  assert.ok(
    printedMs >= before - SLACK_MS && printedMs <= after + SLACK_MS,
    `${what} printed ${new Date(printedMs).toISOString()}, outside ${new Date(before).toISOString()} .. ${new Date(after).toISOString()} ± ${SLACK_MS} ms`,
  );
}

describe("standard protocols served to real clients", () => {
  let std: StandardServer;
  const cleanup: (() => unknown)[] = [];
  before(async () => {
    std = await startStandardServerFor({ after: (fn) => cleanup.push(fn) }, ["--tz", "UTC"]);
  });
  after(() => Promise.all(cleanup.map((fn) => fn())));

  describe("rdate", () => {
    it("rdate -p (RFC 868 over TCP) prints the current time", async () => {
      const start = Date.now();
      const { stdout } = await run(RDATE, ["-p", "-o", String(std.rfc868Port), "127.0.0.1"]);
      assertNearNow(parseRdate(stdout), start, "rdate -p");
    });

    it("rdate -p -u (RFC 868 over UDP) prints the current time", async () => {
      const start = Date.now();
      const args = ["-p", "-u", "-o", String(std.rfc868Port), "127.0.0.1"];
      const { stdout } = await run(RDATE, args);
      assertNearNow(parseRdate(stdout), start, "rdate -p -u");
    });

    it("rdate -p -n (SNTP) prints the current time", async () => {
      const start = Date.now();
      const args = ["-p", "-n", "-o", String(std.ntpPort), "127.0.0.1"];
      const { stdout } = await run(RDATE, args);
      assertNearNow(parseRdate(stdout), start, "rdate -p -n");
    });
  });

  it("chronyd -Q takes the server as its source and finds the system clock right to within 0.1 s", async (t) => {
    // A correctness check, not an accuracy one (the accuracy bench,
    // bench/accuracy, measures that beside chronyd and NTPsec): a wrong era,
    // fraction or byte order is off by far more than 0.1 s, while an offset
    // is known only to within half the round trip, and on a busy machine the
    // dgram fallback's round trip alone can be milliseconds. So no maxdelay
    // filter (it once made chronyd discard the only sample under load and
    // give up): the first sample is taken, whatever its delay.
    const args = [
      "-Q",
      "-t",
      "10",
      "-f",
      "/dev/null",
      "-u",
      "root",
      `server 127.0.0.1 port ${std.ntpPort} iburst maxsamples 1 minpoll -6 maxpoll -6`,
    ];
    // No skip: a chronyd that cannot run here (no capabilities, not root) fails this test.
    const result = await run(CHRONYD, args);
    const output = result.stdout + result.stderr;
    const match = /System clock wrong by (-?\d+\.\d+) seconds \(ignored\)/.exec(output);
    assert.ok(match, `chronyd measured no offset:\n${describeRun(CHRONYD, args, result)}`);
    const offset = Number(match[1]);
    t.diagnostic(`chronyd -Q: system clock wrong by ${match[1]} seconds (|offset| must be < 0.1)`);
    assert.ok(Math.abs(offset) < 0.1, `chronyd measured an offset of ${offset} s`);
  });

  describe("nmap", () => {
    it("--script daytime over TCP shows the current date and time", async () => {
      const start = Date.now();
      const args = ["-p", String(std.daytimePort), "--script", "+daytime", "127.0.0.1"];
      const { stdout } = await run(NMAP, args);
      assertNearNow(parseDaytimeLine(stdout), start, "nmap daytime (TCP)");
    });

    it("-sU --script daytime shows the current date and time", async () => {
      const start = Date.now();
      const args = ["-sU", "-p", String(std.daytimePort), "--script", "+daytime", "127.0.0.1"];
      const { stdout } = await run(NMAP, args);
      assertNearNow(parseDaytimeLine(stdout), start, "nmap daytime (UDP)");
    });

    it("-sU --script rfc868-time shows the current date and time", async () => {
      const start = Date.now();
      const args = ["-sU", "-p", String(std.rfc868Port), "--script", "+rfc868-time", "127.0.0.1"];
      const { stdout } = await run(NMAP, args);
      assertNearNow(parseRfc868Line(stdout), start, "nmap rfc868-time");
    });

    it("-sU --script ntp-info gets no variables: its mode 6 query is dropped, counted in the log", async () => {
      const from = std.server.lines.length;
      const args = ["-sU", "-p", String(std.ntpPort), "--script", "+ntp-info", "127.0.0.1"];
      const { stdout } = await run(NMAP, args);
      // `receive time stamp` comes from the script's mode 3 probe, which is answered.
      assert.doesNotMatch(stdout, /\b(version|system|stratum):/, stdout);
      await std.server.waitForLine(/No reply to a ntp datagram .*: mode 6 \(control\)/, from);
    });

    it("-sU --script ntp-monlist gets nothing: its mode 7 request is dropped, counted in the log", async () => {
      const from = std.server.lines.length;
      const args = ["-sU", "-p", String(std.ntpPort), "--script", "+ntp-monlist", "127.0.0.1"];
      const { stdout } = await run(NMAP, args);
      assert.doesNotMatch(stdout, /ntp-monlist/, stdout);
      await std.server.waitForLine(/No reply to a ntp datagram .*: mode 7 \(private\)/, from);
    });
  });

  it("the line protocol still answers TIME byte for byte beside them", async (t) => {
    const client = await connectFor(t, std.linePort);
    const reply = await client.request("TIME\r\n", 14);
    assert.match(reply.toString("latin1"), TIME_REPLY);
    assert.equal(reply.length, 14);
  });
});

describe("standard protocols off", () => {
  it("with no protocol flag the server holds exactly one TCP or UDP socket, the line port's", async (t) => {
    const server = await startServerFor(t);
    const sockets = inetSocketsOf(server.child.pid as number);
    assert.deepEqual(sockets, [
      { protocol: "tcp", localPort: server.port, state: "0A" /* LISTEN */ },
    ]);
    assert.equal(server.lines.filter((line) => /Listening on /.test(line)).length, 1);
  });
});

describe("standard protocol flags: bad values and taken ports", () => {
  const safe = ["--host", "127.0.0.1", "--port", "0"];
  for (const given of [
    ["--ntp-port", "70000"],
    ["--ntp-stratum", "0"],
    ["--ntp-stratum", "16"],
    ["--daytime-port", "abc"],
  ]) {
    it(`${given.join(" ")}: one line on stderr naming it, exit 2`, async (t) => {
      const result = await runProgram(SERVER_BIN, [...safe, ...given], { signal: t.signal });
      assert.equal(result.code, 2, result.stderr);
      const lines = result.stderr.split("\n").filter((line) => line !== "");
      assert.equal(lines.length, 1, result.stderr);
      assert.match(lines[0] as string, /^timeserver: /);
      for (const word of given) assert.ok(result.stderr.includes(word), result.stderr);
      assert.doesNotMatch(result.stderr, /^\s+at /m, "stack frames on stderr");
    });
  }

  it("an --ntp-port another process holds: one line 'cannot listen on ...', exit 1", async (t) => {
    const holder = dgram.createSocket("udp4");
    await new Promise<void>((resolve) => holder.bind({ address: "127.0.0.1", port: 0 }, resolve));
    t.after(() => holder.close());
    const port = holder.address().port;
    const result = await runProgram(SERVER_BIN, [...safe, "--ntp-port", String(port)], {
      signal: t.signal,
    });
    assert.equal(result.code, 1, result.stderr);
    const lines = result.stderr.split("\n").filter((line) => line !== "");
    assert.equal(lines.length, 1, result.stderr);
    assert.match(
      lines[0] as string,
      new RegExp(`^timeserver: cannot listen on 127\\.0\\.0\\.1:${port}`),
    );
    assert.doesNotMatch(result.stderr, /^\s+at /m, "stack frames on stderr");
  });
});

describe("SNTP with --workers 2", () => {
  it("answers every request, each worker logs its UDP listener, and SIGTERM exits 0", async (t) => {
    const [ntpPort] = (await pickDualPorts(1)) as [number];
    const server = await startServerFor(t, ["--workers", "2", "--ntp-port", String(ntpPort)]);
    await server.waitForLines(/\[worker \d+\] Listening on 127\.0\.0\.1:\d+ \(ntp, UDP, \w+\)/, 2);
    await server.waitForLine(/Listening on .* with 2 workers/);
    const client = await udpClientFor(t);
    const requests = 8;
    for (let i = 0; i < requests; i++) {
      const transmit = [0x11, 0x22, 0x33, 0x44, 0, 0, 0, i];
      const reply = await client.request(ntpPort, datagram({ transmit }));
      assert.equal(reply.length, 48);
      assert.deepEqual([...reply.subarray(24, 32)], transmit, "the originate timestamp");
      assert.equal(reply[0]! & 7, 4, "not a server-mode reply");
    }
    assert.deepEqual(await server.stop("SIGTERM"), { code: 0, signal: null });
  });
});
