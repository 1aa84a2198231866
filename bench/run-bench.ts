/**
 * `npm run bench [-- <load>...]`: timeserver, the naive Node peer and the C
 * reference side by side, one fresh server per run (pinned to core 0), the C
 * load generator as processes of its own (one per spare core, up to three,
 * the connections split among them). Writes
 * bench/results/latest.md and latest.json and prints the Markdown. Targets
 * are PASS, MISS or inconclusive (when the reference was not the
 * bottleneck); the exit status is 0 whatever they say, and non-zero only
 * when nothing could run.
 */

import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, renameSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { type CoRunRecord, type CoRunSide, coRunPairs, runCoRun } from "./runner/corun.js";
import { killAllGenerators, type LoadPaths, runLoad } from "./runner/loadgen.js";
import {
  type Case,
  casesFor,
  type LoadName,
  type Pinning,
  parseArgs,
  pinningFor,
  type Settings,
  USAGE,
  workersPlan,
} from "./runner/plan.js";
import { renderMarkdown } from "./runner/report.js";
import {
  killAllServersNow,
  killProcesses,
  leftoverServerProcesses,
  type RunningServer,
  type ServerPaths,
  serverCommand,
  startServer,
  stopAllServers,
  stopServer,
} from "./runner/servers.js";
import type { HoldFigures, RunRecord } from "./runner/statistics.js";
import { machineInfo } from "./runner/system.js";
import { judge } from "./runner/verdicts.js";

/** dist/bench/run-bench.js → the repository root. */
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const RESULTS_DIR = path.join(ROOT, "bench", "results");

function say(message: string): void {
  process.stderr.write(`${message}\n`);
}

/** timeserver's UDP services are optional: run the udp load only when its --help lists them. */
function udpSupport(nodeServer: string): string | undefined {
  const help = spawnSync(process.execPath, [nodeServer, "--help"], { encoding: "utf8" });
  if (help.status !== 0) return `\`timeserver --help\` failed (${help.status})`;
  return /--ntp-port\b/.test(help.stdout)
    ? undefined
    : "`timeserver --help` does not list --ntp-port: this build has no UDP services yet";
}

function cores(list: string | undefined): number[] {
  return list === undefined ? [] : list.split(",").map(Number);
}

function holdFigures(
  hold: NonNullable<Awaited<ReturnType<typeof runLoad>>["hold"]>,
  connections: number,
): HoldFigures {
  const kbPerConnection =
    hold.midHoldKb === undefined ? undefined : (hold.midHoldKb - hold.beforeKb) / connections;
  const settledKbPerConnection =
    hold.endHoldKb === undefined ? undefined : (hold.endHoldKb - hold.beforeKb) / connections;
  return {
    ...hold,
    kbPerConnection,
    settledKbPerConnection,
    method:
      hold.midHoldKb === undefined
        ? "no mid-hold sample: the server never held every connection"
        : hold.sampledAtMidpoint
          ? "VmRSS sampled 2.5 s after every connection was accepted (or at the midpoint of a shorter hold), and again at the end of the hold"
          : "VmRSS last sampled (every 100 ms) after every connection was accepted; the server accepted too late for a midpoint sample",
  };
}

async function runCase(
  item: Case,
  attempt: number,
  serverPaths: ServerPaths,
  loadPaths: LoadPaths,
): Promise<RunRecord> {
  const record: RunRecord = {
    load: item.load,
    workload: item.workload,
    variant: item.variant,
    role: item.role,
    ...(item.workers !== undefined ? { workers: item.workers } : {}),
    attempt,
    startedAt: new Date().toISOString(),
    serverCores: serverPaths.taskset === undefined ? [] : cores(item.server.cpus),
    generatorCores:
      loadPaths.taskset === undefined ? [] : item.traffic.cpus.flatMap((list) => cores(list)),
    server: {
      command: serverCommand(item.server, { tcp: 0, ntp: 0, rfc868: 0, daytime: 0 }, serverPaths),
      port: undefined,
      readySeconds: undefined,
      stoppedBySigterm: undefined,
      logFile: undefined,
      logBytes: undefined,
    },
    generator: { name: item.traffic.generator, commands: [] },
    wallSeconds: 0,
    result: undefined,
    error: undefined,
    rate: undefined,
    unit: item.traffic.mode === "churn" ? "sessions/s" : "req/s",
    cpu: undefined,
    hold: undefined,
  };
  let server: RunningServer | undefined;
  try {
    server = await startServer(item.server, serverPaths);
    record.server.command = server.command;
    record.server.port = server.port;
    record.server.readySeconds = Math.round(server.readySeconds * 1000) / 1000;
    record.server.logFile = server.logFile;
    const outcome = await runLoad(item.traffic, server, loadPaths);
    record.generator.commands = outcome.commands;
    record.wallSeconds = Math.round(outcome.wallSeconds * 1000) / 1000;
    record.result = outcome.result;
    record.error = outcome.error;
    record.cpu = outcome.cpu;
    record.rate = outcome.result?.rate;
    if (outcome.hold !== undefined) {
      record.hold = holdFigures(outcome.hold, item.traffic.connections);
    }
    if (server.exited && record.error === undefined) {
      record.error = "the server exited during the run";
    }
  } catch (error) {
    record.error = (error as Error).message;
  } finally {
    if (server !== undefined) {
      record.server.stoppedBySigterm = await stopServer(server);
      try {
        record.server.logBytes = statSync(server.logFile).size;
      } catch {
        // no log file
      }
    }
  }
  return record;
}

function describeRecord(record: RunRecord): string {
  if (record.error !== undefined && record.result === undefined) return `ERROR ${record.error}`;
  const r = record.result;
  if (r === undefined) return "no result";
  const trouble =
    (r.badReplies > 0 ? `, ${r.badReplies} bad` : "") +
    (r.errors > 0 ? `, ${r.errors} errors` : "");
  if (record.load === "hold") {
    const kb = record.hold?.kbPerConnection;
    return `${r.answered} answered, ${kb === undefined ? "?" : kb.toFixed(2)} KB/conn${trouble}`;
  }
  const busy = record.cpu?.coreBusy.map((share) => `${Math.round(share * 100)}%`).join(" / ");
  return `${Math.round(record.rate ?? 0).toLocaleString("en-US")} ${record.unit}, p99 ${r.latencyMs.p99.toFixed(2)} ms${r.lost > 0 ? `, ${r.lost} lost` : ""}${trouble}; cores ${busy ?? "?"}`;
}

function describeCoRun(record: CoRunRecord): string {
  if (record.naive === undefined || record.timeserver === undefined) {
    return `no result: ${record.error ?? "no CPU figures"}`;
  }
  const side = (name: string, s: CoRunSide) =>
    `${name} ${Math.round(s.rate)} ${record.unit} on ${Math.round(s.cpu * 100)}% of a core`;
  return `${side("naive", record.naive)}, ${side("timeserver", record.timeserver)}; per CPU-second ${record.ratio?.toFixed(3)}×`;
}

function writeAtomic(file: string, text: string): void {
  const temp = `${file}.tmp`;
  writeFileSync(temp, text);
  renameSync(temp, file);
}

async function main(): Promise<number> {
  const parsed = parseArgs(process.argv.slice(2), process.env);
  if (parsed.kind === "help") {
    process.stdout.write(USAGE);
    return 0;
  }
  if (parsed.kind === "error") {
    say(`run-bench: ${parsed.message}\n\n${USAGE}`);
    return 2;
  }
  const settings: Settings = parsed.settings;
  const began = performance.now();
  const machine = machineInfo();
  const serverPaths: ServerPaths = {
    root: ROOT,
    cBinary: path.join(ROOT, "bench", "c-reference", "timeserver-c"),
    cUdpBinary: path.join(ROOT, "bench", "c-reference", "udpserver-c"),
    naiveServer: path.join(ROOT, "bench", "naive", "naive-server.mjs"),
    naiveUdpServer: path.join(ROOT, "bench", "naive", "naive-udp-server.mjs"),
    nodeServer: path.join(ROOT, "dist", "src", "cli", "timeserver.js"),
    taskset: machine.taskset,
  };
  const loadPaths: LoadPaths = {
    loadgen: path.join(ROOT, "bench", "c-loadgen", "loadgen"),
    timebench: path.join(ROOT, "dist", "src", "cli", "timebench.js"),
    taskset: machine.taskset,
  };
  for (const file of [
    serverPaths.cBinary,
    serverPaths.cUdpBinary,
    serverPaths.naiveServer,
    serverPaths.naiveUdpServer,
    serverPaths.nodeServer,
    loadPaths.loadgen,
    loadPaths.timebench,
  ]) {
    if (!existsSync(file)) {
      say(`run-bench: ${file} is missing (npm run build; bash bench/c-reference/build.sh)`);
      return 1;
    }
  }

  const notes: string[] = [];
  const pinned = machine.taskset !== undefined && machine.cores >= 2;
  const pin: Pinning = pinningFor(machine.cores, pinned);
  if (!pinned) {
    const why =
      machine.taskset === undefined ? "taskset is missing" : `only ${machine.cores} core(s)`;
    notes.push(`Runs are **unpinned** because ${why}: server and load generator share the cores.`);
    say(`run-bench: ${why}; running unpinned`);
  }
  const skipped: Partial<Record<LoadName, string>> = {};
  const workers = workersPlan(machine.cores, pinned);
  if (settings.loads.includes("workers")) {
    if (workers.counts.length === 0) skipped.workers = workers.note;
    else notes.push(`Workers: ${workers.note}`);
  }
  if (settings.loads.includes("udp")) {
    const why = udpSupport(serverPaths.nodeServer);
    if (why !== undefined) skipped.udp = why;
  }
  for (const [load, why] of Object.entries(skipped)) say(`run-bench: ${load} skipped: ${why}`);

  const plan = settings.loads.map((load) => ({
    load,
    cases: skipped[load] === undefined ? casesFor(load, settings, pin, workers) : [],
  }));
  const coRunCount = settings.loads.includes("corun") ? coRunPairs(settings, pin).length : 0;
  const total =
    (plan.reduce((sum, step) => sum + step.cases.length, 0) + coRunCount) * settings.repeat;
  say(
    `run-bench: ${total} runs (${settings.loads.join(", ")}), ${settings.durationSeconds} s each after ${settings.warmupSeconds} s warmup; ${pinned ? `server on core 0, generators on core${pin.generators.length > 1 ? "s" : ""} ${pin.generators.join(", ")}` : "unpinned"}`,
  );

  const records: RunRecord[] = [];
  const coRuns: CoRunRecord[] = [];
  let done = 0;
  for (const step of plan) {
    if (step.load === "corun") {
      for (let attempt = 1; attempt <= settings.repeat; attempt++) {
        for (const pair of coRunPairs(settings, pin)) {
          done++;
          say(
            `[${done}/${total}] corun: ${pair.workload}${settings.repeat > 1 ? ` (run ${attempt})` : ""} …`,
          );
          const record = await runCoRun(pair, attempt, serverPaths, loadPaths);
          coRuns.push(record);
          say(`        ${describeCoRun(record)}`);
        }
      }
      continue;
    }
    for (let attempt = 1; attempt <= settings.repeat; attempt++) {
      for (const item of step.cases) {
        done++;
        say(
          `[${done}/${total}] ${step.load}: ${item.variant}${settings.repeat > 1 ? ` (run ${attempt})` : ""} …`,
        );
        const record = await runCase(item, attempt, serverPaths, loadPaths);
        records.push(record);
        say(`        ${describeRecord(record)}`);
      }
    }
  }

  // Every server was stopped after its run; make sure, and say so.
  const leftovers = leftoverServerProcesses();
  if (leftovers.length > 0) {
    killProcesses(leftovers);
    notes.push(
      `Server processes were left behind (${leftovers.join(", ")}) and were killed with SIGKILL.`,
    );
  } else {
    notes.push("All server processes were stopped after their runs; none remains.");
  }
  const notStopped = records.filter((r) => r.server.stoppedBySigterm === false);
  if (notStopped.length > 0) {
    notes.push(
      `Did not exit within 3 s of SIGTERM (then killed): ${notStopped.map((r) => `${r.load}/${r.variant}`).join(", ")}.`,
    );
  }
  notes.push(
    "Servers listen on fresh ports in 21000–21999 and are driven over loopback only (127.0.0.1); timeserver and the naive peer listen on 127.0.0.1, the C references bind 0.0.0.0 (they have no address flag).",
    "The load generator is bench/c-loadgen/loadgen (C, single-threaded epoll; UDP with sendmmsg/recvmmsg batches); every reply is checked. timebench drives only its own row.",
    "The UDP reference (bench/c-reference/udpserver-c) answers with one recvmsg and one sendmsg per datagram, as Node's dgram does; the C --mmsg rows batch with recvmmsg/sendmmsg and are context, not a target.",
    `Logging run: the info server writes its log to ${"/tmp/timeserver-bench/node-info.log"} (stdout redirected to a file).`,
  );
  for (const [load, why] of Object.entries(skipped)) notes.push(`${load}: skipped: ${why}.`);

  const checks = judge(records, settings, skipped, coRuns);
  const totalSeconds = (performance.now() - began) / 1000;
  const markdown = renderMarkdown(records, checks, {
    machine,
    settings,
    pinned,
    skipped,
    totalSeconds,
    notes,
    coRuns,
    generatorCores: pin.generators,
  });
  const json = {
    date: machine.date,
    node: machine.nodeVersion,
    cpuModel: machine.cpuModel,
    cores: machine.cores,
    kernel: machine.kernel,
    platform: machine.platform,
    pinning: pinned
      ? {
          server: "taskset -c 0",
          generators: pin.generators.map((core) => `taskset -c ${core}`),
          connections: "each load's connections split evenly among the generators (rounded up)",
          workers: "n servers on cores 0…n−1, n generators on cores n…2n−1",
        }
      : { server: "unpinned", generator: "unpinned" },
    durations: {
      measuredSecondsPerRun: settings.durationSeconds,
      warmupSecondsPerRun: settings.warmupSeconds,
      holdSeconds: settings.holdSeconds,
      totalSeconds: Math.round(totalSeconds * 10) / 10,
    },
    settings,
    workers,
    skipped,
    checks,
    misses: checks.filter((check) => check.result !== "PASS"),
    runs: records,
    coRuns,
    notes,
  };
  mkdirSync(RESULTS_DIR, { recursive: true });
  writeAtomic(path.join(RESULTS_DIR, "latest.md"), markdown);
  writeAtomic(path.join(RESULTS_DIR, "latest.json"), `${JSON.stringify(json, null, 2)}\n`);
  process.stdout.write(markdown);
  say(
    `run-bench: wrote bench/results/latest.md and bench/results/latest.json (${totalSeconds.toFixed(0)} s)`,
  );
  return 0;
}

let interrupted = false;
function onSignal(signal: NodeJS.Signals): void {
  if (interrupted) {
    killAllGenerators();
    killAllServersNow();
    process.exit(130);
  }
  interrupted = true;
  say(`run-bench: ${signal}: stopping the servers and the load generator`);
  killAllGenerators();
  stopAllServers(1000)
    .catch(() => {})
    .finally(() => {
      killAllServersNow();
      process.exit(signal === "SIGINT" ? 130 : 143);
    });
}
process.on("SIGINT", onSignal);
process.on("SIGTERM", onSignal);

let status = 1;
try {
  status = await main();
} catch (error) {
  say(`run-bench: ${(error as Error).stack ?? String(error)}`);
  status = 1;
} finally {
  await stopAllServers(1000).catch(() => {});
  killAllServersNow();
}
process.exitCode = status;
