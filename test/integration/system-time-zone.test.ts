/**
 * TZ as the real `timeserver` meets it: a zone Node.js would not apply (and
 * would silently serve as UTC) stops the start with one line and exit 2, as a
 * bad --tz does; the forms glibc and Node both apply keep working, and the
 * replies are in that zone.
 */

import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { describe, it } from "node:test";
import { runProgram, SERVER_BIN, startServerFor } from "../helpers/server-process.js";
import { connectFor, TIME_REPLY } from "../helpers/wire-client.js";

const SAFE = ["--host", "127.0.0.1", "--port", "0"];

/** The hour of day at `epochMs`, `eastMinutes` east of UTC. */
function hourAt(epochMs: number, eastMinutes: number): number {
  return new Date(epochMs + eastMinutes * 60_000).getUTCHours();
}

function zoneHourAt(epochMs: number, timeZone: string): number {
  const format = new Intl.DateTimeFormat("en-US", { timeZone, hour: "2-digit", hourCycle: "h23" });
  return Number(format.format(epochMs));
}

describe("timeserver and TZ", () => {
  for (const tz of ["Nonsense/Zone", "CET-1CEST", ":"]) {
    it(`refuses TZ=${tz} in one line with exit 2`, { timeout: 10_000 }, async (t) => {
      const result = await runProgram(SERVER_BIN, SAFE, { env: { TZ: tz }, signal: t.signal });
      assert.equal(result.stdout, "");
      assert.equal(result.code, 2, result.stderr);
      const lines = result.stderr.split("\n");
      assert.equal(lines.length, 2, result.stderr);
      assert.ok(
        (lines[0] as string).startsWith(`timeserver: invalid TZ ${JSON.stringify(tz)}: `),
        result.stderr,
      );
    });
  }

  it("ignores TZ when --tz names the zone", { timeout: 10_000 }, async (t) => {
    const server = await startServerFor(t, ["--tz", "Asia/Jakarta"], { TZ: "Nonsense/Zone" });
    const client = await connectFor(t, server.port);
    assert.match(await client.askTime(), TIME_REPLY);
  });

  const working: { tz: string; hour: (epochMs: number) => number }[] = [
    { tz: "EST5EDT", hour: (ms) => zoneHourAt(ms, "America/New_York") },
    { tz: ":Asia/Jakarta", hour: (ms) => hourAt(ms, 420) },
    { tz: "UTC0", hour: (ms) => hourAt(ms, 0) },
    { tz: "JST-9", hour: (ms) => hourAt(ms, 540) },
    { tz: "", hour: (ms) => hourAt(ms, 0) },
  ];
  if (existsSync("/usr/share/zoneinfo/Asia/Kolkata")) {
    working.push({ tz: ":/usr/share/zoneinfo/Asia/Kolkata", hour: (ms) => hourAt(ms, 330) });
  }
  for (const { tz, hour } of working) {
    it(`serves TZ=${JSON.stringify(tz)} in that zone`, { timeout: 10_000 }, async (t) => {
      const server = await startServerFor(t, [], { TZ: tz });
      const client = await connectFor(t, server.port);
      const before = Date.now();
      const reply = await client.askTime();
      const after = Date.now();
      assert.match(reply, TIME_REPLY);
      // The hour may turn between the two readings of the clock; either side is right.
      const served = Number(reply.slice(4, 6));
      assert.ok([hour(before), hour(after)].includes(served), `${reply.trim()} for TZ=${tz}`);
    });
  }

  it("starts with TZ=:/etc/localtime, the system zone", { timeout: 10_000 }, async (t) => {
    if (!existsSync("/etc/localtime")) {
      t.skip("no /etc/localtime here");
      return;
    }
    const server = await startServerFor(t, [], { TZ: ":/etc/localtime" });
    const client = await connectFor(t, server.port);
    assert.match(await client.askTime(), TIME_REPLY);
  });
});
