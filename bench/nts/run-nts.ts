/**
 * `npm run bench:nts`: NTS beside plain SNTP and beside chronyd, in one run.
 * timeserver (one process) and chronyd (`-x`, serving NTS with the same test
 * certificate) each run pinned to one core, the loads of nts-load.ts and
 * nts-ke-load.ts pinned to another, and the figures come out as a Markdown
 * table. Beside each rate, the server's CPU time per reply (from
 * /proc/<pid>/stat around the load): on a shared machine the rates depend
 * on how much of its core the one client got, the CPU per reply much less. A figure it cannot take is a note, never a failure: the run always
 * exits 0, and every child is stopped at the end.
 *
 *   node dist/bench/nts/run-nts.js [seconds]
 */

import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import { availableParallelism, tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { makeCertificate } from "../../test/helpers/tls-files.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
const HERE = path.join(ROOT, "dist/bench/nts");
const SECONDS = Number(process.argv[2] ?? "3");
// Servers on the last core, loads on the first (or both on the one core there is).
const SERVER_CORE = String(availableParallelism() - 1);
const LOAD_CORE = "0";
const haveTaskset = spawnSync("taskset", ["-V"]).error === undefined;

function pinned(core: string, command: string[]): string[] {
  return haveTaskset ? ["taskset", "-c", core, ...command] : command;
}

async function freePort(): Promise<number> {
  const server = net.createServer().listen(0, "127.0.0.1");
  await once(server, "listening");
  const port = (server.address() as net.AddressInfo).port;
  server.close();
  return port;
}

/** Resolves once something accepts TCP on `port`, rejects after `ms`. */
async function accepting(port: number, child: ChildProcess, ms = 15000): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error("exited at start");
    const ok = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, "127.0.0.1");
      socket.once("connect", () => {
        socket.destroy();
        resolve(true);
      });
      socket.once("error", () => resolve(false));
    });
    if (ok) return;
    // Nothing announces readiness on every server here: poll.
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`nothing on port ${port} after ${ms} ms`);
}

function start(command: string[]): ChildProcess {
  const [file, ...args] = pinned(SERVER_CORE, command);
  const child = spawn(file as string, args, { stdio: ["ignore", "ignore", "pipe"] });
  child.on("error", () => {});
  return child;
}

const CLOCK_TICKS = Number(spawnSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).stdout) || 100;

/** The CPU seconds (user and system) `pid` has used, or undefined without /proc. */
function cpuSeconds(pid: number | undefined): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The fields after the command name, which is in parentheses and may hold spaces.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return undefined;
  }
}

interface Figure {
  /** Per second, or why there is none. */
  rate: number | string;
  /** The server's CPU microseconds per reply (or exchange), when it could be read. */
  cpu?: number;
}

/** Runs one load script and returns the first figure of its one-line result, with `server`'s CPU per reply. */
function load(script: string, args: string[], server: ChildProcess): Figure {
  const command = pinned(LOAD_CORE, [process.execPath, path.join(HERE, script), ...args]);
  const before = cpuSeconds(server.pid);
  const result = spawnSync(command[0] as string, command.slice(1), {
    encoding: "utf8",
    timeout: (SECONDS + 30) * 1000,
  });
  const after = cpuSeconds(server.pid);
  const figure = result.stdout.match(/: (\d+) (?:replies|exchanges)\/s over ([\d.]+) s/);
  if (figure === null)
    return { rate: `failed: ${(result.stderr || result.stdout).trim().split("\n")[0]}` };
  const rate = Number(figure[1]);
  const count = rate * Number(figure[2]);
  const cpu =
    before !== undefined && after !== undefined && count > 0
      ? ((after - before) * 1e6) / count
      : undefined;
  return cpu === undefined ? { rate } : { rate, cpu };
}

interface Server {
  name: string;
  child: ChildProcess;
  kePort: number;
  ntpPort: number;
}

interface Row {
  name: string;
  nts: Figure;
  plain: Figure;
  ke: Figure;
}

const dir = mkdtempSync(path.join(tmpdir(), "timeserver-bench-nts-"));
const children: ChildProcess[] = [];
const notes: string[] = [];
const rows: Row[] = [];

async function startTimeserver(certFile: string, keyFile: string): Promise<Server> {
  const secret = path.join(dir, "nts-secret");
  writeFileSync(secret, "bench-secret-".repeat(4), { mode: 0o600 });
  const [kePort, ntpPort, linePort] = [await freePort(), await freePort(), await freePort()];
  const child = start([
    process.execPath,
    path.join(ROOT, "dist/src/cli/timeserver.js"),
    "--host",
    "127.0.0.1",
    "--port",
    String(linePort),
    "--ntp-port",
    String(ntpPort),
    "--nts-ke-port",
    String(kePort),
    "--tls-cert",
    certFile,
    "--tls-key",
    keyFile,
    "--nts-secret-file",
    secret,
    "--log-level",
    "warn",
  ]);
  children.push(child);
  await accepting(kePort, child);
  return { name: "timeserver", child, kePort, ntpPort };
}

async function startChronyd(certFile: string, keyFile: string): Promise<Server | undefined> {
  const chronyd = ["/usr/sbin/chronyd", "/usr/bin/chronyd"].find((file) => existsSync(file));
  if (chronyd === undefined) {
    notes.push("chronyd is not installed (Debian package: chrony): no chronyd row.");
    return undefined;
  }
  const [kePort, ntpPort] = [await freePort(), await freePort()];
  const conf = path.join(dir, "chrony.conf");
  writeFileSync(
    conf,
    [
      `port ${ntpPort}`,
      `ntsport ${kePort}`,
      "bindaddress 127.0.0.1",
      "cmdport 0",
      "allow 127.0.0.1",
      "local stratum 10",
      `ntsservercert ${certFile}`,
      `ntsserverkey ${keyFile}`,
      `ntsdumpdir ${dir}`,
      `pidfile ${path.join(dir, "chronyd.pid")}`,
      "",
    ].join("\n"),
  );
  const root = process.getuid?.() === 0;
  const child = start([chronyd, "-x", "-d", ...(root ? ["-u", "root"] : []), "-f", conf]);
  children.push(child);
  await accepting(kePort, child);
  const version = spawnSync(chronyd, ["-v"], { encoding: "utf8" }).stdout.match(/\d+\.\d+/);
  return {
    name: `chronyd ${version?.[0] ?? ""} (-x)`,
    child,
    kePort,
    ntpPort,
  };
}

async function measure(server: Server, ca: string): Promise<void> {
  const seconds = String(SECONDS);
  rows.push({
    name: server.name,
    nts: load("nts-load.js", [String(server.kePort), ca, seconds, "32"], server.child),
    plain: load(
      "nts-load.js",
      [String(server.kePort), ca, seconds, "32", String(server.ntpPort)],
      server.child,
    ),
    ke: load("nts-ke-load.js", [String(server.kePort), ca, seconds, "4"], server.child),
  });
  if (server.child.exitCode === null && server.child.signalCode === null) {
    server.child.kill();
    await once(server.child, "exit");
  }
}

function cell(value: number | string): string {
  return typeof value === "number" ? value.toLocaleString("en-US") : value;
}

function cpuCell(figure: Figure): string {
  return figure.cpu === undefined ? "–" : figure.cpu.toFixed(1);
}

try {
  const certificate = makeCertificate(dir, "nts");
  const servers = [
    () => startTimeserver(certificate.certFile, certificate.keyFile),
    () => startChronyd(certificate.certFile, certificate.keyFile),
  ];
  for (const begin of servers) {
    const server = await begin().catch((error: Error) => {
      notes.push(`a server did not start: ${error.message.split("\n")[0]}`);
      return undefined;
    });
    if (server !== undefined) await measure(server, certificate.certFile);
  }
} catch (error) {
  notes.push(`the run stopped: ${(error as Error).message.split("\n")[0]}`);
} finally {
  // chronyd writes its NTS keys into the directory as it exits: wait for that.
  await Promise.all(
    children.map((child) => {
      if (child.exitCode !== null || child.signalCode !== null) return undefined;
      child.kill();
      return once(child, "exit");
    }),
  );
  try {
    rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
  } catch (error) {
    notes.push(`${dir} left behind: ${(error as Error).message}`);
  }
}

const pinning = haveTaskset
  ? `servers pinned to core ${SERVER_CORE}, loads to core ${LOAD_CORE}`
  : "taskset missing: nothing pinned";
console.log(`\n## NTS (${SECONDS} s a load, ${pinning})\n`);
console.log(
  "| server | NTS replies/s | plain SNTP replies/s | NTS ÷ plain | NTS-KE exchanges/s | server CPU µs per NTS reply | per plain reply |",
);
console.log("|---|---:|---:|---:|---:|---:|---:|");
for (const row of rows) {
  const ratio =
    typeof row.nts.rate === "number" && typeof row.plain.rate === "number" && row.plain.rate > 0
      ? (row.nts.rate / row.plain.rate).toFixed(2)
      : "–";
  console.log(
    `| ${row.name} | ${cell(row.nts.rate)} | ${cell(row.plain.rate)} | ${ratio} | ${cell(row.ke.rate)} | ${cpuCell(row.nts)} | ${cpuCell(row.plain)} |`,
  );
}
console.log(
  "\nOne Node client each (32 datagrams in flight; 4 key exchanges at once), so on few cores the client, not the server, may be the limit.",
);
for (const note of notes) console.log(`\n- ${note}`);
process.exit(0);
