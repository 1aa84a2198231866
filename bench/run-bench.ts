/**
 * `npm run bench [-- <load>...]`: the Node server and the C reference side by
 * side, one fresh server per run (pinned to core 0), the load generator as its
 * own process (pinned to core 1). Writes bench/results/latest.md and
 * latest.json and prints the Markdown. Targets are reported PASS or MISS; the
 * exit status is 0 whatever they say, and non-zero only when nothing could run.
 */

import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, renameSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { killAllGenerators, type LoadPaths, runLoad } from "./runner/loadgen.js";
import {
  type Case,
  casesFor,
  type Pinning,
  parseArgs,
  type Settings,
  USAGE,
} from "./runner/plan.js";
import { type HoldFigures, judge, type RunRecord, renderMarkdown } from "./runner/report.js";
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
import { machineInfo } from "./runner/system.js";

/** dist/bench/run-bench.js → the repository root. */
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const RESULTS_DIR = path.join(ROOT, "bench", "results");

function say(message: string): void {
  process.stderr.write(`${message}\n`);
}

function workersSupport(nodeServer: string): { available: boolean; note: string } {
  const help = spawnSync(process.execPath, [nodeServer, "--help"], { encoding: "utf8" });
  if (help.status !== 0) {
    return {
      available: false,
      note: `\`timeserver --help\` failed (${help.status}); workers not run.`,
    };
  }
  return /--workers\b/.test(help.stdout)
    ? { available: true, note: "`timeserver --help` lists --workers." }
    : {
        available: false,
        note: "`timeserver --help` does not list --workers (not implemented yet in this build).",
      };
}

function holdFigures(
  hold: NonNullable<Awaited<ReturnType<typeof runLoad>>["hold"]>,
  connections: number,
): HoldFigures {
  const kbPerConnection =
    hold.midHoldKb === undefined ? undefined : (hold.midHoldKb - hold.beforeKb) / connections;
  return {
    ...hold,
    kbPerConnection,
    method:
      hold.midHoldKb === undefined
        ? "no mid-hold sample: the server never held every connection"
        : "VmRSS sampled at the midpoint of the hold phase (hold-seconds/2 after every connection was accepted)",
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
    ...(item.workers !== undefined ? { workers: item.workers } : {}),
    attempt,
    startedAt: new Date().toISOString(),
    server: {
      command: serverCommand(item.server, 0, serverPaths),
      port: undefined,
      readySeconds: undefined,
      stoppedBySigterm: undefined,
      logFile: undefined,
      logBytes: undefined,
    },
    generator: { command: [] },
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
    record.generator.command = outcome.command;
    record.wallSeconds = Math.round(outcome.wallSeconds * 1000) / 1000;
    record.result = outcome.result;
    record.error = outcome.error;
    record.cpu = outcome.cpu;
    record.rate =
      outcome.result === undefined
        ? undefined
        : item.traffic.mode === "churn"
          ? outcome.result.sessionsPerSecond
          : outcome.result.requestsPerSecond;
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
    return `${r.answered}/${r.connections} answered, ${kb === undefined ? "?" : kb.toFixed(2)} KB/conn${trouble}`;
  }
  return `${Math.round(record.rate ?? 0).toLocaleString("en-US")} ${record.unit}, p99 ${r.latencyMs.p99} ms${trouble}`;
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
    nodeServer: path.join(ROOT, "dist", "src", "cli", "timeserver.js"),
    taskset: machine.taskset,
  };
  const loadPaths: LoadPaths = {
    timebench: path.join(ROOT, "dist", "src", "cli", "timebench.js"),
    taskset: machine.taskset,
  };
  for (const file of [serverPaths.cBinary, serverPaths.nodeServer, loadPaths.timebench]) {
    if (!existsSync(file)) {
      say(`run-bench: ${file} is missing (npm run build; bash bench/c-reference/build.sh)`);
      return 1;
    }
  }

  const notes: string[] = [];
  const pinned = machine.taskset !== undefined && machine.cores >= 2;
  const pin: Pinning = pinned
    ? { server: "0", generator: "1" }
    : { server: undefined, generator: undefined };
  if (!pinned) {
    const why =
      machine.taskset === undefined ? "taskset is missing" : `only ${machine.cores} core(s)`;
    notes.push(`Runs are **unpinned** because ${why}: server and load generator share the cores.`);
    say(`run-bench: ${why}; running unpinned`);
  }
  const workers = settings.loads.includes("workers")
    ? workersSupport(serverPaths.nodeServer)
    : { available: false, note: "not requested" };
  if (settings.loads.includes("workers") && !workers.available) {
    say(`run-bench: workers skipped: ${workers.note}`);
  }

  const plan = settings.loads.map((load) => ({
    load,
    cases: casesFor(load, settings, pin, workers.available),
  }));
  const total = plan.reduce((sum, step) => sum + step.cases.length, 0) * settings.repeat;
  say(
    `run-bench: ${total} runs (${settings.loads.join(", ")}), ${settings.durationSeconds} s each after ${settings.warmupSeconds} s warmup; ${pinned ? "server on core 0, generator on core 1" : "unpinned"}`,
  );

  const records: RunRecord[] = [];
  let done = 0;
  for (const step of plan) {
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
    "Servers listen on fresh ports in 21000–21999 and are driven over loopback only (127.0.0.1); the Node server is started with --host 127.0.0.1, the C reference binds 0.0.0.0 (it has no address flag).",
    "The load generator is timebench, a single Node process; when its CPU is near 100% of its core, the rate is bounded by the generator rather than by the server, and Node/C ratios move towards 1.",
    `Logging run: the info server writes its log to ${"/tmp/timeserver-bench/node-info.log"} (stdout redirected to a file).`,
  );
  if (settings.loads.includes("workers")) notes.push(`Workers: ${workers.note}`);

  const checks = judge(records, settings);
  const totalSeconds = (performance.now() - began) / 1000;
  const markdown = renderMarkdown(records, checks, {
    machine,
    settings,
    pinned,
    workersAvailable: workers.available,
    workersNote: workers.note,
    totalSeconds,
    notes,
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
          generator: "taskset -c 1",
          workers: "server taskset -c 0,1, generator unpinned",
        }
      : { server: "unpinned", generator: "unpinned" },
    durations: {
      measuredSecondsPerRun: settings.durationSeconds,
      warmupSecondsPerRun: settings.warmupSeconds,
      holdSeconds: settings.holdSeconds,
      totalSeconds: Math.round(totalSeconds * 10) / 10,
    },
    settings,
    workers: { available: workers.available, note: workers.note },
    checks,
    misses: checks.filter((check) => check.result !== "PASS"),
    runs: records,
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
