/**
 * The records of a bench session, the targets judged on them, and the
 * Markdown report (bench/results/latest.md).
 */

import type { CpuFigures, HoldMemory, TimebenchResult } from "./loadgen.js";
import { LOAD_DESCRIPTIONS, type LoadName, type Settings } from "./plan.js";
import type { MachineInfo } from "./system.js";

export interface HoldFigures extends HoldMemory {
  /** (midHold − before) / connections, KiB per connection; undefined if there is no sample. */
  kbPerConnection: number | undefined;
  /** How the "after" figure was taken. */
  method: string;
}

export interface RunRecord {
  load: LoadName;
  workload: string;
  variant: string;
  workers?: number;
  attempt: number;
  startedAt: string;
  server: {
    command: string[];
    port: number | undefined;
    readySeconds: number | undefined;
    stoppedBySigterm: boolean | undefined;
    logFile: string | undefined;
    logBytes: number | undefined;
  };
  generator: { command: string[] };
  wallSeconds: number;
  result: TimebenchResult | undefined;
  error: string | undefined;
  /** requests/s (rr, hold) or sessions/s (churn). */
  rate: number | undefined;
  unit: "req/s" | "sessions/s";
  /** CPU use in cores over the middle of the measured window. */
  cpu: CpuFigures | undefined;
  hold: HoldFigures | undefined;
}

export type Verdict = "PASS" | "MISS" | "NO DATA";

export interface Check {
  load: LoadName;
  name: string;
  node: string;
  reference: string;
  ratio: number | undefined;
  target: string;
  result: Verdict;
  note?: string;
}

// ---------- choosing and judging ----------

function median<T>(items: T[], key: (item: T) => number | undefined): T | undefined {
  const valued = items
    .filter((item) => key(item) !== undefined)
    .sort((a, b) => (key(a) as number) - (key(b) as number));
  if (valued.length === 0) return items[0];
  return valued[Math.floor((valued.length - 1) / 2)];
}

/** The reported run of one variant: the median by rate (hold: by KB/conn) over the repeats. */
export function pick(
  records: RunRecord[],
  load: LoadName,
  variant: string,
  workload?: string,
): RunRecord | undefined {
  const runs = records.filter(
    (r) =>
      r.load === load &&
      r.variant === variant &&
      (workload === undefined || r.workload === workload),
  );
  return load === "hold"
    ? median(runs, (r) => r.hold?.kbPerConnection)
    : median(runs, (r) => r.rate);
}

function ratioCheck(
  load: LoadName,
  name: string,
  node: RunRecord | undefined,
  ref: RunRecord | undefined,
  refLabel: string,
  min: number,
): Check {
  const unit = node?.unit ?? ref?.unit ?? "req/s";
  const base = {
    load,
    name,
    node: node?.rate === undefined ? "—" : `${fmtRate(node.rate)} ${unit}`,
    reference: ref?.rate === undefined ? "—" : `${fmtRate(ref.rate)} ${unit} (${refLabel})`,
    target: `≥ ${min}×`,
  };
  if (node?.rate === undefined || ref?.rate === undefined || ref.rate <= 0) {
    return { ...base, ratio: undefined, result: "NO DATA", note: node?.error ?? ref?.error };
  }
  const ratio = node.rate / ref.rate;
  return { ...base, ratio, result: ratio >= min ? "PASS" : "MISS" };
}

/** The issue's throughput targets: Node's rate over the reference's, at least `min`. */
const RATE_TARGETS: {
  load: LoadName;
  name: string;
  node: string;
  reference: string;
  referenceLabel: string;
  min: number;
}[] = [
  {
    load: "rr",
    name: "rr throughput",
    node: "Node",
    reference: "C",
    referenceLabel: "C",
    min: 0.8,
  },
  {
    load: "pipelined",
    name: "pipelined throughput",
    node: "Node",
    reference: "C",
    referenceLabel: "C",
    min: 0.7,
  },
  {
    load: "churn",
    name: "churn sessions/s",
    node: "Node",
    reference: "C",
    referenceLabel: "C",
    min: 0.9,
  },
  {
    load: "logging",
    name: "logging: info vs warn throughput",
    node: "Node info",
    reference: "Node warn",
    referenceLabel: "warn",
    min: 0.5,
  },
];

export function judge(records: RunRecord[], settings: Settings): Check[] {
  const checks: Check[] = [];
  for (const load of settings.loads) {
    for (const target of RATE_TARGETS.filter((t) => t.load === load)) {
      checks.push(
        ratioCheck(
          load,
          target.name,
          pick(records, load, target.node),
          pick(records, load, target.reference),
          target.referenceLabel,
          target.min,
        ),
      );
    }
    switch (load) {
      case "rr": {
        const node = pick(records, load, "Node");
        const c = pick(records, load, "C");
        const np = node?.result?.latencyMs.p99;
        const cp = c?.result?.latencyMs.p99;
        const base = {
          load,
          name: "rr p99 latency",
          node: np === undefined ? "—" : `${fmtMs(np)} ms`,
          reference: cp === undefined ? "—" : `${fmtMs(cp)} ms (C)`,
          target: "≤ 2× C",
        };
        if (np === undefined || cp === undefined || cp <= 0) {
          checks.push({ ...base, ratio: undefined, result: "NO DATA" });
        } else {
          checks.push({ ...base, ratio: np / cp, result: np <= 2 * cp ? "PASS" : "MISS" });
        }
        break;
      }
      case "hold": {
        const node = pick(records, load, "Node");
        const c = pick(records, load, "C");
        const nk = node?.hold?.kbPerConnection;
        const ck = c?.hold?.kbPerConnection;
        checks.push({
          load,
          name: "hold memory per connection",
          node: nk === undefined ? "—" : `${fmtKb(nk)} KB/conn`,
          reference: ck === undefined ? "—" : `${fmtKb(ck)} KB/conn (C)`,
          ratio: nk !== undefined && ck !== undefined && ck > 0 ? nk / ck : undefined,
          target: "≤ 3 KB/conn",
          result: nk === undefined ? "NO DATA" : nk <= 3 ? "PASS" : "MISS",
          ...(node?.error !== undefined ? { note: node.error } : {}),
        });
        const answered = node?.result?.answered;
        const cAnswered = c?.result?.answered;
        checks.push({
          load,
          name: "hold: all connections answer",
          node: answered === undefined ? "—" : `${answered}/${settings.holdConnections}`,
          reference: cAnswered === undefined ? "—" : `${cAnswered}/${settings.holdConnections} (C)`,
          ratio: undefined,
          target: `${settings.holdConnections}/${settings.holdConnections}`,
          result:
            answered === undefined
              ? "NO DATA"
              : answered === settings.holdConnections
                ? "PASS"
                : "MISS",
        });
        break;
      }
      default:
        break; // the rest is judged by RATE_TARGETS alone, or (workers) reported, not judged
    }
  }
  const nodeRuns = records.filter((r) => r.variant.startsWith("Node") && r.result !== undefined);
  if (nodeRuns.length > 0) {
    const bad = nodeRuns.reduce((sum, r) => sum + (r.result?.badReplies ?? 0), 0);
    const errors = nodeRuns.reduce((sum, r) => sum + (r.result?.errors ?? 0), 0);
    const cRuns = records.filter((r) => r.variant === "C" && r.result !== undefined);
    const cBad = cRuns.reduce((sum, r) => sum + (r.result?.badReplies ?? 0), 0);
    const cErrors = cRuns.reduce((sum, r) => sum + (r.result?.errors ?? 0), 0);
    const offenders = nodeRuns
      .filter((r) => (r.result?.badReplies ?? 0) + (r.result?.errors ?? 0) > 0)
      .map((r) => `${r.load}/${r.variant}`);
    checks.push({
      load: nodeRuns[0]?.load ?? "rr",
      name: "correctness: bad replies, errors (all Node runs)",
      node: `${bad} bad, ${errors} errors`,
      reference: `${cBad} bad, ${cErrors} errors (C)`,
      ratio: undefined,
      target: "0 bad, 0 errors",
      result: bad === 0 && errors === 0 ? "PASS" : "MISS",
      ...(offenders.length > 0 ? { note: `in ${[...new Set(offenders)].join(", ")}` } : {}),
    });
  }
  return checks;
}

// ---------- formatting ----------

export function fmtRate(value: number): string {
  return Math.round(value).toLocaleString("en-US");
}

export function fmtMs(value: number): string {
  if (!Number.isFinite(value)) return "—";
  return value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1) : value.toFixed(2);
}

function fmtKb(value: number): string {
  return value.toFixed(2);
}

function fmtMb(kb: number | undefined): string {
  return kb === undefined ? "—" : `${(kb / 1024).toFixed(1)} MB`;
}

function fmtCores(value: number | undefined): string {
  return value === undefined ? "—" : `${Math.round(value * 100)}%`;
}

function fmtCoreBusy(cpu: CpuFigures | undefined): string {
  if (cpu === undefined || cpu.coreBusy.length === 0) return "—";
  return cpu.coreBusy
    .slice(0, 2)
    .map((share) => `${Math.round(share * 100)}%`)
    .join(" / ");
}

/** Which side ran out of CPU: a busy core ≥ 90%, other processes ≥ 10% of a core. */
export function saturation(cpu: CpuFigures | undefined, pinned: boolean): string {
  if (cpu === undefined) return "—";
  const parts: string[] = [];
  if (pinned) {
    const serverBusy = (cpu.coreBusy[0] ?? 0) >= 0.9;
    const generatorBusy = (cpu.coreBusy[1] ?? 0) >= 0.9;
    if (serverBusy && generatorBusy) parts.push("both cores");
    else if (serverBusy) parts.push("server core");
    else if (generatorBusy) parts.push("generator core");
    else parts.push("neither");
  } else {
    const average = cpu.coreBusy.reduce((sum, share) => sum + share, 0) / cpu.coreBusy.length;
    parts.push(
      average >= 0.9 ? "all cores" : `cores ${Math.round(average * 100)}% busy on average`,
    );
  }
  if (cpu.other >= 0.1) parts.push(`**${Math.round(cpu.other * 100)}% other load**`);
  return parts.join(", ");
}

function fmtRatio(value: number | undefined): string {
  return value === undefined ? "—" : `${value.toFixed(2)}×`;
}

function table(header: string[], rows: string[][]): string {
  const line = (cells: string[]) =>
    `| ${cells.map((cell) => cell.replace(/\|/g, "\\|")).join(" | ")} |`;
  return [line(header), `|${header.map(() => "---").join("|")}|`, ...rows.map(line)].join("\n");
}

function verdictCell(result: Verdict): string {
  return result === "PASS" ? "PASS" : `**${result}**`;
}

export interface ReportContext {
  machine: MachineInfo;
  settings: Settings;
  pinned: boolean;
  workersAvailable: boolean;
  workersNote: string;
  totalSeconds: number;
  notes: string[];
}

export function renderMarkdown(
  records: RunRecord[],
  checks: Check[],
  context: ReportContext,
): string {
  const { machine, settings } = context;
  const out: string[] = [];
  out.push("# Time server benchmark: Node vs the C reference", "");
  out.push(
    `${machine.date} · Node ${machine.nodeVersion} · ${machine.cpuModel} × ${machine.cores} cores · Linux ${machine.kernel}`,
    "",
    `Runs of ${settings.durationSeconds} s measured after ${settings.warmupSeconds} s warmup; hold: ${settings.holdConnections} connections held ${settings.holdSeconds} s; ${settings.repeat === 1 ? "one run per variant" : `${settings.repeat} interleaved runs per variant, median by rate reported`}. ` +
      (context.pinned
        ? "Server pinned to core 0, load generator (timebench, its own process) to core 1."
        : "**Unpinned** (taskset missing or fewer than 2 cores): server and load generator share the cores.") +
      ` Loads: ${settings.loads.join(", ")}. Total ${context.totalSeconds.toFixed(0)} s.`,
    "",
  );

  out.push("## Targets", "");
  out.push(
    table(
      ["Check", "Node", "Reference", "Node/ref", "Target", "Result"],
      checks.map((check) => [
        check.name,
        check.node,
        check.reference,
        fmtRatio(check.ratio),
        check.target,
        verdictCell(check.result),
      ]),
    ),
    "",
  );

  const throughput = records.filter(
    (r) => r.load === "rr" || r.load === "pipelined" || r.load === "churn" || r.load === "logging",
  );
  if (throughput.length > 0) {
    out.push("## Throughput and latency", "");
    const rows = throughput
      .filter((r) => pick(records, r.load, r.variant) === r)
      .map((r) => {
        const ref =
          r.load === "logging"
            ? r.variant === "Node info"
              ? pick(records, r.load, "Node warn")
              : undefined
            : r.variant === "Node"
              ? pick(records, r.load, "C")
              : undefined;
        const ratio =
          ref?.rate !== undefined && r.rate !== undefined && ref.rate > 0
            ? fmtRatio(r.rate / ref.rate) + (r.load === "logging" ? " of warn" : " of C")
            : "";
        const l = r.result?.latencyMs;
        return [
          `${r.load} (${LOAD_DESCRIPTIONS[r.load]})`,
          r.variant,
          r.rate === undefined ? `error: ${r.error ?? "?"}` : `${fmtRate(r.rate)} ${r.unit}`,
          ratio,
          l === undefined ? "—" : fmtMs(l.p50),
          l === undefined ? "—" : fmtMs(l.p99),
          l === undefined ? "—" : fmtMs(l.p999),
          l === undefined ? "—" : fmtMs(l.max),
          r.result === undefined ? "—" : String(r.result.badReplies),
          r.result === undefined ? "—" : String(r.result.errors),
          fmtCores(r.cpu?.server),
          fmtCores(r.cpu?.generator),
          fmtCoreBusy(r.cpu),
          fmtCores(r.cpu?.other),
          saturation(r.cpu, context.pinned),
        ];
      });
    out.push(
      table(
        [
          "Load",
          "Server",
          "Rate",
          "Ratio",
          "p50 ms",
          "p99 ms",
          "p99.9 ms",
          "max ms",
          "Bad",
          "Errors",
          "Server CPU",
          "Generator CPU",
          "Core 0 / 1 busy",
          "Other CPU",
          "Saturated",
        ],
        rows,
      ),
      "",
      "Latency: rr from request to reply; churn from connect to close. CPU figures cover the middle of the measured window, in % of one core: " +
        "Server and Generator = user+system time of those processes (server: its whole process group); " +
        "Core 0 / 1 busy = each core's busy share from /proc/stat (core 0 runs the server, core 1 the generator; includes softirq network processing); " +
        "Other CPU = busy time not accounted to server, generator or interrupts, i.e. other processes on the machine (above a few % they competed with the run). " +
        "Saturated: which pinned core was ≥ 90% busy; when it is only the generator core, the rate is bounded by the load generator, not the server, and the Node/C ratio understates the gap.",
      "",
    );
  }

  const holds = records.filter((r) => r.load === "hold" && pick(records, "hold", r.variant) === r);
  if (holds.length > 0) {
    out.push(`## Hold: ${settings.holdConnections} idle connections on a fresh server`, "");
    out.push(
      table(
        [
          "Server",
          "RSS idle",
          "RSS mid-hold",
          "KB/conn",
          "Max RSS",
          "Held",
          "Answered",
          "Failed",
          "p50 ms",
          "p99 ms",
          "Bad",
          "Errors",
        ],
        holds.map((r) => [
          r.variant,
          fmtMb(r.hold?.beforeKb),
          fmtMb(r.hold?.midHoldKb),
          r.hold?.kbPerConnection === undefined ? "—" : fmtKb(r.hold.kbPerConnection),
          fmtMb(r.hold?.maxKb),
          String(r.result?.held ?? "—"),
          String(r.result?.answered ?? "—"),
          String(r.result?.failed ?? "—"),
          r.result === undefined ? "—" : fmtMs(r.result.latencyMs.p50),
          r.result === undefined ? "—" : fmtMs(r.result.latencyMs.p99),
          r.result === undefined ? "—" : String(r.result.badReplies),
          r.result === undefined ? (r.error ?? "—") : String(r.result.errors),
        ]),
      ),
      "",
      "KB/conn = (VmRSS at the midpoint of the hold phase − VmRSS of the idle fresh server) / connections. " +
        "The hold phase is taken to start when the server's open descriptors show every connection accepted; " +
        "one sample is taken hold-seconds/2 later, before the TIME round. Max RSS is the largest VmRSS polled (every 100 ms) during the whole load, TIME round included. p50/p99: the TIME round after the hold.",
      "",
    );
  }

  if (settings.loads.includes("workers")) {
    out.push("## Workers", "");
    if (!context.workersAvailable) {
      out.push(`Skipped: ${context.workersNote}`, "");
    } else {
      const workerRuns = records.filter(
        (r) => r.load === "workers" && pick(records, "workers", r.variant, r.workload) === r,
      );
      out.push(
        table(
          [
            "Load",
            "Workers",
            "req/s",
            "vs 1 worker",
            "p50 ms",
            "p99 ms",
            "max ms",
            "Bad",
            "Errors",
            "Server CPU",
            "Generator CPU",
            "Core 0 / 1 busy",
            "Other CPU",
            "Saturated",
          ],
          workerRuns.map((r) => {
            const one = pick(records, "workers", "Node 1 worker", r.workload);
            const l = r.result?.latencyMs;
            return [
              r.workload === "rr" ? "rr (100 conns, P1)" : "pipelined (100 conns, P16)",
              String(r.workers ?? "?"),
              r.rate === undefined ? `error: ${r.error ?? "?"}` : fmtRate(r.rate),
              one?.rate !== undefined && r.rate !== undefined && one.rate > 0
                ? fmtRatio(r.rate / one.rate)
                : "—",
              l === undefined ? "—" : fmtMs(l.p50),
              l === undefined ? "—" : fmtMs(l.p99),
              l === undefined ? "—" : fmtMs(l.max),
              r.result === undefined ? "—" : String(r.result.badReplies),
              r.result === undefined ? "—" : String(r.result.errors),
              fmtCores(r.cpu?.server),
              fmtCores(r.cpu?.generator),
              fmtCoreBusy(r.cpu),
              fmtCores(r.cpu?.other),
              saturation(r.cpu, false),
            ];
          }),
        ),
        "",
        context.pinned
          ? "Server pinned to cores 0,1 (taskset -c 0,1), load generator **unpinned: it shares the same two cores** with the server, so these figures are not comparable with the pinned ones above."
          : "Unpinned; the load generator shares the cores with the server.",
        "",
      );
    }
  }

  const misses = checks.filter((check) => check.result !== "PASS");
  out.push("## Misses", "");
  if (misses.length === 0) out.push("None: every target met.", "");
  else {
    for (const miss of misses) {
      out.push(
        `- **${miss.result}** ${miss.name}: Node ${miss.node} vs ${miss.reference}${miss.ratio === undefined ? "" : ` = ${fmtRatio(miss.ratio)}`}, target ${miss.target}${miss.note === undefined ? "" : ` (${miss.note})`}`,
      );
    }
    out.push("");
  }

  if (context.notes.length > 0) {
    out.push("## Notes", "", ...context.notes.map((note) => `- ${note}`), "");
  }
  return `${out.join("\n")}`;
}
