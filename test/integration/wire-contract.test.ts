/**
 * The byte-exact wire contract of the real `timeserver` binary, over real
 * loopback sockets: what each request is answered with, when the server
 * closes, and how the line framing behaves under splitting, pipelining,
 * half-close and over-long input.
 */

import assert from "node:assert/strict";
import net from "node:net";
import { after, before, describe, it } from "node:test";
import { type ServerProcess, startServer, startServerFor } from "../helpers/server-process.js";
import { connectFor, INVALID, TIME_REPLY, type WireClient } from "../helpers/wire-client.js";

const REPLY_BYTES = "JAM hh:mm:ss\r\n".length;

/** Every `hh:mm:ss` a clock `offsetMinutes` east of UTC shows between two instants. */
function timesOfDayBetween(beforeMs: number, afterMs: number, offsetMinutes: number): string[] {
  const times: string[] = [];
  for (let second = Math.floor(beforeMs / 1000); second <= Math.floor(afterMs / 1000); second++) {
    const shifted = new Date(second * 1000 + offsetMinutes * 60_000);
    times.push(shifted.toISOString().slice(11, 19));
  }
  return times;
}

/** Ask for the time and check the reply against the zone `offsetMinutes` east of UTC. */
async function assertTimeInZone(client: WireClient, offsetMinutes: number): Promise<void> {
  const beforeMs = Date.now();
  const reply = await client.askTime();
  const afterMs = Date.now();
  assert.match(reply, TIME_REPLY);
  const expected = timesOfDayBetween(beforeMs, afterMs, offsetMinutes);
  assert.ok(
    expected.includes(reply.slice(4, 12)),
    `${JSON.stringify(reply)} is not one of ${expected.join(", ")} (UTC${offsetMinutes >= 0 ? "+" : ""}${offsetMinutes / 60} h)`,
  );
  if (offsetMinutes % 60 === 0) {
    const hour = Number(reply.slice(4, 6));
    const expectedHours = [beforeMs, afterMs].map(
      (ms) => (new Date(ms).getUTCHours() + offsetMinutes / 60 + 24) % 24,
    );
    assert.ok(
      expectedHours.includes(hour),
      `hour ${hour} is not one of ${expectedHours.join(", ")}`,
    );
  }
}

/** Bytes as they would be typed in a string literal, for test names: "TI\x00ME\r\n". */
function shown(data: string | Buffer): string {
  const bytes = typeof data === "string" ? Buffer.from(data, "latin1") : data;
  let out = "";
  for (const byte of bytes) {
    if (byte === 0x0d) out += "\\r";
    else if (byte === 0x0a) out += "\\n";
    else if (byte >= 0x20 && byte < 0x7f) out += String.fromCharCode(byte);
    else out += `\\x${byte.toString(16).padStart(2, "0")}`;
  }
  return `"${out}"`;
}

/** End the conversation with QUIT and return every byte the server sent on this connection. */
async function quitAndCollect(client: WireClient): Promise<Buffer> {
  client.send("QUIT\r\n");
  return client.waitForEnd();
}

describe("timeserver wire contract", () => {
  let server: ServerProcess;
  before(async () => {
    server = await startServer(["--host", "127.0.0.1"]);
  });
  after(() => server?.kill());

  describe("time of day", () => {
    it("answers TIME with exactly one JAM hh:mm:ss line in the --tz zone (Asia/Jakarta, UTC+7)", async (t) => {
      const jakarta = await startServerFor(t, ["--tz", "Asia/Jakarta"], { TZ: "UTC" });
      const client = await connectFor(t, jakarta.port);
      await assertTimeInZone(client, 7 * 60);
      const all = await quitAndCollect(client);
      assert.equal(
        all.length,
        REPLY_BYTES,
        `extra bytes: ${JSON.stringify(all.toString("latin1"))}`,
      );
    });

    it("uses the TZ environment variable when --tz is absent (Asia/Kolkata, UTC+5:30)", async (t) => {
      const kolkata = await startServerFor(t, [], { TZ: "Asia/Kolkata", TIMESERVER_TZ: undefined });
      const client = await connectFor(t, kolkata.port);
      await assertTimeInZone(client, 5 * 60 + 30);
    });
  });

  describe("QUIT", () => {
    it("closes the connection without sending a byte", async (t) => {
      const client = await connectFor(t, server.port);
      const all = await quitAndCollect(client);
      assert.equal(all.length, 0, JSON.stringify(all.toString("latin1")));
      assert.equal(client.error, undefined, "closed with a reset instead of a FIN");
    });

    it("ignores whatever follows QUIT in the same write", async (t) => {
      const client = await connectFor(t, server.port);
      client.send("QUIT\r\nTIME\r\nTIME\r\n");
      const all = await client.waitForEnd();
      assert.equal(all.length, 0, JSON.stringify(all.toString("latin1")));
      assert.equal(client.error, undefined, "closed with a reset instead of a FIN");
    });
  });

  describe("invalid lines are answered and the connection stays open", () => {
    const cases: [string, string | Buffer][] = [
      ["an empty line", "\r\n"],
      ["lower-case time", "time\r\n"],
      ["a leading space", " TIME\r\n"],
      ["a trailing space", "TIME \r\n"],
      ["a bare LF ending", "TIME\n"],
      ["a doubled CR", "TIME\r\r\n"],
      ["bytes that are not UTF-8", Buffer.from([0xff, 0xfe, 0x0d, 0x0a])],
      ["an embedded NUL", "TI\x00ME\r\n"],
      ["QUIT with a bare LF", "QUIT\n"],
    ];
    for (const [label, line] of cases) {
      it(`answers ${label} ${shown(line)} with Invalid command, then still answers TIME`, async (t) => {
        const client = await connectFor(t, server.port);
        const reply = await client.request(line, INVALID.length);
        assert.equal(reply.toString("latin1"), INVALID);
        const time = await client.request("TIME\r\n", REPLY_BYTES);
        assert.match(time.toString("latin1"), TIME_REPLY);
        assert.equal(client.ended, false);
        const all = await quitAndCollect(client);
        assert.equal(all.length, INVALID.length + REPLY_BYTES);
      });
    }
  });

  describe("framing", () => {
    it("answers a TIME split across three writes exactly once", async (t) => {
      const client = await connectFor(t, server.port);
      await client.sendFlushed("TI");
      await client.sendFlushed("ME\r");
      await client.sendFlushed("\n");
      const reply = await client.waitForBytes(REPLY_BYTES);
      assert.match(reply.toString("latin1"), TIME_REPLY);
      const all = await quitAndCollect(client);
      assert.equal(all.length, REPLY_BYTES, JSON.stringify(all.toString("latin1")));
    });

    it("answers 100 pipelined TIME requests sent in one write with exactly 100 replies", async (t) => {
      const client = await connectFor(t, server.port);
      client.send(`${"TIME\r\n".repeat(100)}QUIT\r\n`);
      const all = (await client.waitForEnd()).toString("latin1");
      assert.equal(all.length, 100 * REPLY_BYTES);
      for (let i = 0; i < 100; i++) {
        assert.match(all.slice(i * REPLY_BYTES, (i + 1) * REPLY_BYTES), TIME_REPLY, `reply ${i}`);
      }
    });

    it("answers pipelined TIME, foo, TIME, QUIT in order: JAM, Invalid command, JAM, close", async (t) => {
      const client = await connectFor(t, server.port);
      client.send("TIME\r\nfoo\r\nTIME\r\nQUIT\r\n");
      const all = (await client.waitForEnd()).toString("latin1");
      assert.equal(all.length, REPLY_BYTES + INVALID.length + REPLY_BYTES, JSON.stringify(all));
      assert.match(all.slice(0, REPLY_BYTES), TIME_REPLY);
      assert.equal(all.slice(REPLY_BYTES, REPLY_BYTES + INVALID.length), INVALID);
      assert.match(all.slice(REPLY_BYTES + INVALID.length), TIME_REPLY);
    });

    it("keeps the order of 100 pipelined valid and invalid requests", async (t) => {
      const client = await connectFor(t, server.port);
      const valid = Array.from({ length: 100 }, (_, i) => i % 3 !== 1);
      client.send(`${valid.map((ok, i) => (ok ? "TIME\r\n" : `bad ${i}\r\n`)).join("")}QUIT\r\n`);
      let rest = (await client.waitForEnd()).toString("latin1");
      valid.forEach((ok, i) => {
        if (ok) {
          assert.match(rest.slice(0, REPLY_BYTES), TIME_REPLY, `reply ${i}`);
          rest = rest.slice(REPLY_BYTES);
        } else {
          assert.equal(rest.slice(0, INVALID.length), INVALID, `reply ${i}`);
          rest = rest.slice(INVALID.length);
        }
      });
      assert.equal(rest, "");
    });

    it("answers a TIME sent just before the client half-closes, then closes", async (t) => {
      const client = await connectFor(t, server.port);
      client.send("TIME\r\n");
      client.end();
      const all = await client.waitForEnd();
      assert.match(all.toString("latin1"), TIME_REPLY);
      await client.waitForClose();
      assert.equal(client.error, undefined);
    });
  });

  describe("over-long lines", () => {
    let short: ServerProcess;
    before(async () => {
      short = await startServer(["--host", "127.0.0.1", "--max-line", "16"]);
    });
    after(() => short?.kill());

    it("with --max-line 16, answers 17 bytes without LF with one Invalid command and closes", async (t) => {
      const client = await connectFor(t, short.port);
      client.send("A".repeat(17));
      const all = await client.waitForEnd();
      assert.equal(all.toString("latin1"), INVALID);
    });

    it("with --max-line 16, answers a 17-byte line with its LF in the same write with one Invalid command and closes", async (t) => {
      const client = await connectFor(t, short.port);
      client.send(`${"A".repeat(15)}\r\r\nTIME\r\n`);
      const all = await client.waitForEnd();
      assert.equal(all.toString("latin1"), INVALID);
    });

    it("with --max-line 16, treats a line of exactly 16 bytes plus LF as an ordinary invalid line and stays open", async (t) => {
      const client = await connectFor(t, short.port);
      const reply = await client.request(`${"A".repeat(15)}\r\n`, INVALID.length);
      assert.equal(reply.toString("latin1"), INVALID);
      assert.match(await client.askTime(), TIME_REPLY);
    });

    it("with --max-line 16, keeps waiting on 16 bytes without LF, and answers once the LF comes", async (t) => {
      const client = await connectFor(t, short.port);
      await client.sendFlushed("A".repeat(16));
      const reply = await client.request("\n", INVALID.length);
      assert.equal(reply.toString("latin1"), INVALID);
      assert.match(await client.askTime(), TIME_REPLY);
    });

    it("with the default limit (1024), answers 5000 bytes without LF with one Invalid command and closes", async (t) => {
      const client = await connectFor(t, server.port);
      client.send("B".repeat(5000));
      const all = await client.waitForEnd();
      assert.equal(all.toString("latin1"), INVALID);
    });
  });

  it("serves TIME over IPv6 with --host ::1", async (t) => {
    const canBind = await new Promise<boolean>((resolve) => {
      const probe = net.createServer();
      probe.once("error", () => resolve(false));
      probe.listen(0, "::1", () => probe.close(() => resolve(true)));
    });
    if (!canBind) {
      t.skip("::1 cannot be bound on this machine");
      return;
    }
    const v6 = await startServerFor(t, ["--host", "::1"]);
    const client = await connectFor(t, v6.port, "::1");
    assert.match(await client.askTime(), TIME_REPLY);
    await v6.waitForLine(/\[INFO\] Received: TIME from ::1$/);
  });

  describe("idle timeout", () => {
    it("closes a silent client after --idle-timeout 1 and logs Idle timeout, while --idle-timeout 0 keeps one open", async (t) => {
      const never = await startServerFor(t, ["--idle-timeout", "0"]);
      const patient = await connectFor(t, never.port);
      const quick = await startServerFor(t, ["--idle-timeout", "1"]);
      const silent = await connectFor(t, quick.port);

      const all = await silent.waitForEnd();
      assert.equal(all.length, 0);
      await quick.waitForLine(/Idle timeout/);

      // The client on the --idle-timeout 0 server has been silent for longer
      // than the one just dropped, and is still being served.
      assert.equal(patient.ended, false);
      assert.match(await patient.askTime(), TIME_REPLY);
      assert.equal(
        never.lines.some((line) => /Idle timeout/.test(line)),
        false,
      );
    });
  });

  describe("connection limit", () => {
    it("with --max-connections 2, closes a third connection at once, logs a warning and keeps serving the first two", async (t) => {
      const limited = await startServerFor(t, ["--max-connections", "2"]);
      const first = await connectFor(t, limited.port);
      const second = await connectFor(t, limited.port);
      await limited.waitForLines(/\[INFO\] Connection from /, 2);

      const third = await connectFor(t, limited.port, "127.0.0.1", { allowHalfOpen: false });
      const thirdPort = third.socket.localPort;
      const thirdGot = await third.waitForEnd();
      assert.equal(thirdGot.length, 0);
      const warning = await limited.waitForLine(/\[WARN\]/);
      assert.match(warning, /limit/i);
      assert.match(warning, new RegExp(`127\\.0\\.0\\.1:${thirdPort}\\b`));

      for (const client of [first, second]) {
        assert.match(await client.askTime(), TIME_REPLY);
      }
      assert.equal(limited.lines.filter((line) => /Connection from/.test(line)).length, 2);
    });
  });
});
