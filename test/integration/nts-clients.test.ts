/**
 * NTS (RFC 8915) as real clients meet it: the real binary serves NTS-KE and
 * NTS-protected NTP, and chronyd completes the key exchange and measures an
 * offset over authenticated NTP; NTPsec's ntpd does the same and records
 * samples; chronyd refuses a certificate that does not name the server; two
 * processes sharing one secret file serve each other's cookies (one answers
 * the key exchange and sends clients to the other); and a restart with
 * another secret turns old cookies into NAKs until the client re-keys, while
 * the same secret keeps them working.
 */

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { checkNtsReply, ntsRequest } from "../helpers/nts-client.js";
import { ntsKeExchange } from "../helpers/nts-ke-client.js";
import { describeRun, runExternal } from "../helpers/run-external.js";
import { SERVER_BIN, type ServerProcess, startServerFor } from "../helpers/server-process.js";
import {
  type Certificate,
  haveOpenssl,
  makeCertificate,
  scratchDir,
} from "../helpers/tls-files.js";
import { udpClientFor } from "../helpers/udp-client.js";

const CHRONYD = "/usr/sbin/chronyd";
/** Where .ci/run unpacks NTPsec (its package conflicts with chrony's, so it is not installed). */
const NTPSEC_NTPD = join(process.env.NTPSEC_ROOT ?? "/opt/ntpsec-client", "usr/sbin/ntpd");
const CLIENT_ENV = { TZ: "UTC", LC_ALL: "C" };

interface NtsServer {
  server: ServerProcess;
  ntpPort: number;
  kePort: number | undefined;
}

function portOf(server: ServerProcess, suffix: RegExp): number | undefined {
  for (const line of server.lines) {
    const match = /Listening on 127\.0\.0\.1:(\d+) \((.+)\)$/.exec(line);
    if (match && suffix.test(match[2] as string)) return Number(match[1]);
  }
  return undefined;
}

async function startNts(
  t: { after(fn: () => unknown): void },
  cert: Certificate,
  args: string[],
  withKe = true,
): Promise<NtsServer> {
  const server = await startServerFor(t, [
    "--ntp-port",
    "0",
    ...(withKe
      ? ["--nts-ke-port", "0", "--tls-cert", cert.certFile, "--tls-key", cert.keyFile]
      : []),
    "--log-level",
    "info",
    ...args,
  ]);
  await server.waitForLines(/Listening on /, withKe ? 3 : 2);
  return {
    server,
    ntpPort: portOf(server, /^ntp, UDP(, \w+)?$/) as number,
    kePort: portOf(server, /^nts-ke$/),
  };
}

function chronydArgs(ca: string, line: string, timeout = 20): string[] {
  return [
    "-Q",
    "-t",
    String(timeout),
    "-f",
    "/dev/null",
    "-u",
    "root",
    `ntstrustedcerts ${ca}`,
    line,
  ];
}

describe("NTS with real clients", { skip: !haveOpenssl && "no openssl" }, () => {
  let dir: string;
  let cert: Certificate;
  let secretFile: string;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), "nts-int-"));
    cert = makeCertificate(dir, "server");
    secretFile = join(dir, "secret");
    writeFileSync(secretFile, randomBytes(48).toString("base64"), { mode: 0o600 });
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("chronyd completes NTS-KE and measures an offset over authenticated NTP", async (t) => {
    const { server, ntpPort, kePort } = await startNts(t, cert, []);
    const args = chronydArgs(
      cert.certFile,
      `server 127.0.0.1 port ${ntpPort} nts ntsport ${kePort} iburst maxsamples 1`,
    );
    const result = await runExternal(CHRONYD, args, { env: CLIENT_ENV, timeoutMs: 60_000 });
    const output = result.stdout + result.stderr;
    assert.match(
      output,
      /System clock wrong by -?\d+\.\d+ seconds/,
      describeRun(CHRONYD, args, result),
    );
    await server.waitForLine(/Sent: NTS-KE response with 8 cookies/);
    await server.waitForLine(/Sent: NTS-authenticated NTP reply with 1 cookies/);
  });

  it("chronyd -d keeps polling over NTS: chronyc authdata shows NTS with its eight cookies renewed", async (t) => {
    const { server, ntpPort, kePort } = await startNts(t, cert, []);
    // chronyd insists its command socket's directory is its own alone.
    const work = scratchDir(t, "nts-chronyd-");
    chmodSync(work, 0o700);
    const socket = join(work, "chronyd.sock");
    writeFileSync(
      join(work, "chrony.conf"),
      [
        `server 127.0.0.1 port ${ntpPort} nts ntsport ${kePort} iburst minpoll -2 maxpoll -2`,
        `ntstrustedcerts ${cert.certFile}`,
        "port 0",
        `bindcmdaddress ${socket}`,
        `pidfile ${join(work, "chronyd.pid")}`,
      ].join("\n"),
    );
    const chronyd = spawn(CHRONYD, ["-d", "-x", "-u", "root", "-f", join(work, "chrony.conf")], {
      stdio: "ignore",
    });
    t.after(() => chronyd.kill("SIGKILL"));
    // Eight polls answered: each reply brought a fresh cookie for the one spent.
    await server.waitForLines(/Sent: NTS-authenticated NTP reply/, 8);
    const result = await runExternal("/usr/bin/chronyc", ["-h", socket, "-n", "authdata"], {
      env: CLIENT_ENV,
      timeoutMs: 30_000,
    });
    const row = result.stdout.split("\n").find((line) => line.startsWith("127.0.0.1"));
    assert.ok(row, describeRun("chronyc", ["authdata"], result));
    const [, mode, , aead, , , , nak, cookies, cookieLength] = row.trim().split(/\s+/);
    assert.deepEqual(
      { mode, aead, nak, cookies, cookieLength },
      { mode: "NTS", aead: "15", nak: "0", cookies: "8", cookieLength: "104" },
      row,
    );
    assert.equal(server.lines.filter((line) => /Sent: NTS-KE response/.test(line)).length, 1);
  });

  it("chronyd refuses a certificate that does not name the server", async (t) => {
    const otherDir = scratchDir(t, "nts-name-");
    const wrong = makeCertificate(otherDir, "other", "other.example");
    const { server, ntpPort, kePort } = await startNts(t, wrong, []);
    const args = chronydArgs(
      wrong.certFile,
      `server 127.0.0.1 port ${ntpPort} nts ntsport ${kePort} iburst maxsamples 1`,
      4,
    );
    const result = await runExternal(CHRONYD, args, { env: CLIENT_ENV, timeoutMs: 60_000 });
    const output = result.stdout + result.stderr;
    assert.doesNotMatch(output, /System clock wrong by/, describeRun(CHRONYD, args, result));
    assert.match(
      output,
      /TLS handshake .* failed|certificate/i,
      describeRun(CHRONYD, args, result),
    );
    assert.ok(!server.lines.some((line) => /Sent: NTS-KE response/.test(line)));
  });

  it("two processes sharing a secret: the key exchange of one sends clients to the other", async (t) => {
    const ntpOnly = await startNts(t, cert, ["--nts-secret-file", secretFile], false);
    const keOnly = await startServerFor(t, [
      "--nts-ke-port",
      "0",
      "--tls-cert",
      cert.certFile,
      "--tls-key",
      cert.keyFile,
      "--nts-secret-file",
      secretFile,
      "--nts-ntp-server",
      `127.0.0.1:${ntpOnly.ntpPort}`,
      "--log-level",
      "info",
    ]);
    await keOnly.waitForLines(/Listening on /, 2);
    const kePort = portOf(keOnly, /^nts-ke$/);
    const args = chronydArgs(
      cert.certFile,
      `server 127.0.0.1 nts ntsport ${kePort} iburst maxsamples 1`,
    );
    const result = await runExternal(CHRONYD, args, { env: CLIENT_ENV, timeoutMs: 60_000 });
    assert.match(
      result.stdout + result.stderr,
      /System clock wrong by/,
      describeRun(CHRONYD, args, result),
    );
    await keOnly.waitForLine(/Sent: NTS-KE response with 8 cookies/);
    await ntpOnly.server.waitForLine(/Sent: NTS-authenticated NTP reply/);
  });

  it("--workers 2 without a secret file: every worker opens every other's cookies", async (t) => {
    const server = await startServerFor(
      t,
      [
        "--workers",
        "2",
        "--ntp-port",
        "0",
        "--nts-ke-port",
        "0",
        "--tls-cert",
        cert.certFile,
        "--tls-key",
        cert.keyFile,
        "--log-level",
        "info",
      ],
      // Round robin: the primary hands key exchanges to the workers in turn,
      // so both make cookies (with the kernel's choice, one may take them all).
      { NODE_CLUSTER_SCHED_POLICY: "rr" },
    );
    await server.waitForLine(/with 2 workers/);
    const kePort = portOf(server, /^nts-ke$/) as number;
    const ntpPort = portOf(server, /^ntp, UDP(, \w+)?$/) as number;
    const client = await udpClientFor(t);
    const verdicts: string[] = [];
    for (let i = 0; i < 8; i++) {
      const session = await ntsKeExchange(kePort, { ca: cert.pem });
      for (const cookie of session.cookies.slice(0, 3)) {
        const { bytes, uid } = ntsRequest({ c2s: session.c2s, cookie });
        verdicts.push(checkNtsReply(await client.request(ntpPort, bytes), uid, session.s2c).kind);
      }
    }
    assert.deepEqual(new Set(verdicts), new Set(["ok"]));
    // The primary hands connections to the workers in turn: both made cookies.
    const makers = new Set(
      server.lines
        .filter((line) => /Sent: NTS-KE response/.test(line))
        .map((line) => /\[worker (\d+)\]/.exec(line)?.[1]),
    );
    assert.deepEqual([...makers].sort(), ["1", "2"]);
  });

  it("a restart with another secret NAKs old cookies until the client re-keys; the same secret keeps them", async (t) => {
    const client = await udpClientFor(t);
    const keyed = async (s: NtsServer) => ntsKeExchange(s.kePort as number, { ca: cert.pem });
    const ask = async (
      s: NtsServer,
      session: Awaited<ReturnType<typeof keyed>>,
      cookie: Buffer,
    ) => {
      const { bytes, uid } = ntsRequest({ c2s: session.c2s, cookie });
      return checkNtsReply(await client.request(s.ntpPort, bytes), uid, session.s2c).kind;
    };
    const otherSecret = join(dir, "other-secret");
    writeFileSync(otherSecret, randomBytes(48).toString("base64"), { mode: 0o600 });

    const first = await startNts(t, cert, ["--nts-secret-file", secretFile]);
    const session = await keyed(first);
    assert.equal(await ask(first, session, session.cookies[0] as Buffer), "ok");
    first.server.kill();
    await first.server.exited;

    const same = await startNts(t, cert, ["--nts-secret-file", secretFile]);
    assert.equal(await ask(same, session, session.cookies[1] as Buffer), "ok");
    same.server.kill();
    await same.server.exited;

    const other = await startNts(t, cert, ["--nts-secret-file", otherSecret]);
    assert.equal(await ask(other, session, session.cookies[2] as Buffer), "nak");
    const rekeyed = await keyed(other);
    assert.equal(await ask(other, rekeyed, rekeyed.cookies[0] as Buffer), "ok");
  });

  // With the UDP thread (the default where it helps), NTS requests are opened by
  // the thread's own cookie jar: the reload must reach it before it is logged.
  for (const thread of ["on", "off"]) {
    it(`SIGHUP re-reads the secret file (--udp-thread ${thread}): cookies of the old secret get NAKs, new exchanges work`, async (t) => {
      const client = await udpClientFor(t);
      const file = join(scratchDir(t, "nts-hup-"), "secret");
      writeFileSync(file, randomBytes(48).toString("base64"), { mode: 0o600 });
      const s = await startNts(t, cert, ["--nts-secret-file", file, "--udp-thread", thread]);
      const ask = async (session: Awaited<ReturnType<typeof ntsKeExchange>>, cookie: Buffer) => {
        const { bytes, uid } = ntsRequest({ c2s: session.c2s, cookie });
        return checkNtsReply(await client.request(s.ntpPort, bytes), uid, session.s2c).kind;
      };
      const before = await ntsKeExchange(s.kePort as number, { ca: cert.pem });
      assert.equal(await ask(before, before.cookies[0] as Buffer), "ok");
      writeFileSync(file, randomBytes(48).toString("base64"), { mode: 0o600 });
      const mark = s.server.lines.length;
      s.server.child.kill("SIGHUP");
      await s.server.waitForLine(/Reloaded the NTS secret/, mark);
      assert.equal(await ask(before, before.cookies[1] as Buffer), "nak");
      const after = await ntsKeExchange(s.kePort as number, { ca: cert.pem });
      assert.equal(await ask(after, after.cookies[0] as Buffer), "ok");
    });
  }

  it("refuses a secret file others can read, in one line", async (t) => {
    const loose = join(scratchDir(t, "nts-loose-"), "secret");
    writeFileSync(loose, randomBytes(48).toString("base64"));
    chmodSync(loose, 0o644);
    const result = await runExternal(
      process.execPath,
      [SERVER_BIN, "--port", "0", "--ntp-port", "0", "--nts-secret-file", loose],
      { timeoutMs: 30_000 },
    );
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /readable by others \(mode 644\): chmod 600 it/);
    assert.equal(result.stderr.trim().split("\n").length, 1, result.stderr);
  });

  it("NTPsec's ntpd gets cookies and accepts authenticated samples", {
    skip: !existsSync(NTPSEC_NTPD) && `no NTPsec at ${NTPSEC_NTPD} (.ci/run unpacks it)`,
  }, async (t) => {
    // ntpd always binds port 123, which another NTP daemon on the machine may
    // hold: client and server run in a network namespace of their own.
    const work = scratchDir(t, "nts-ntpsec-");
    const stats = join(work, "stats");
    mkdirSync(stats);
    writeFileSync(
      join(work, "ntp.conf"),
      [
        `server 127.0.0.1:4460 nts ca ${cert.certFile} minpoll 4 maxpoll 4 iburst`,
        "disable ntp",
        `statsdir ${stats}/`,
        "statistics peerstats",
        "filegen peerstats file peerstats type none enable",
      ].join("\n"),
    );
    const script = [
      "ip link set lo up",
      `${process.execPath} ${SERVER_BIN} --host 127.0.0.1 --port 0 --ntp-port 1123 --nts-ke-port 4460 --tls-cert ${cert.certFile} --tls-key ${cert.keyFile} --log-level info > ${work}/server.log 2>&1 &`,
      "server=$!",
      // The server's own log says when it listens: wait for that, not for a time.
      `until grep -q '(nts-ke)' ${work}/server.log; do kill -0 $server || exit 3; sleep 0.1; done`,
      `${NTPSEC_NTPD} -n -c ${work}/ntp.conf -l ${work}/ntpd.log &`,
      "ntpd=$!",
      // Until NTPsec has recorded two samples (iburst: seconds), or has exited.
      `until [ "$(cat ${stats}/peerstats* 2>/dev/null | grep -c ' 127.0.0.1 ')" -ge 2 ]; do kill -0 $ntpd || break; sleep 0.2; done`,
      "kill $ntpd $server; wait",
    ].join("\n");
    const result = await runExternal("unshare", ["-n", "sh", "-c", script], { timeoutMs: 60_000 });
    const ntpdLog = readFileSync(join(work, "ntpd.log"), "utf8");
    assert.match(ntpdLog, /Got 8 cookies, length 104, aead=15/, describeRun("unshare", [], result));
    const peerstats = readdirSync(stats)
      .filter((name) => name.startsWith("peerstats"))
      .map((name) => readFileSync(join(stats, name), "utf8"))
      .join("");
    const samples = peerstats.split("\n").filter((line) => / 127\.0\.0\.1 /.test(line));
    assert.ok(samples.length >= 2, `NTPsec recorded ${samples.length} samples:\n${ntpdLog}`);
    const serverLog = readFileSync(join(work, "server.log"), "utf8");
    assert.match(serverLog, /Sent: NTS-authenticated NTP reply/);
  });
});
