/**
 * The Markdown report of a bench session (bench/results/latest.md), from its
 * records, summaries and verdicts.
 */

import { type CoRunRecord, summariseCoRuns } from "./corun.js";
import { fmtKb, fmtMb, fmtMs, fmtRate, fmtRatio, pct } from "./format.js";
import { LOAD_DESCRIPTIONS, type LoadName, type Settings } from "./plan.js";
import {
  find,
  OTHER_LOAD,
  type RunRecord,
  SATURATED,
  type Summary,
  summariseAll,
} from "./statistics.js";
import type { MachineInfo } from "./system.js";
import { type Check, generatorSentence, inconclusive } from "./verdicts.js";

/** Median and the spread of the repeats: "134,090 (128,400–139,000)". */
function rateWithSpread(s: Summary): string {
  if (s.rate === undefined) return `error: ${s.firstError ?? "?"}`;
  const { median: mid, min, max } = s.rate;
  const spread = s.runs.length > 1 ? ` (${fmtRate(min)}–${fmtRate(max)}, ±${spreadPct(s)}%)` : "";
  return `${fmtRate(mid)}${spread}`;
}

function spreadPct(s: Summary): string {
  if (s.rate === undefined || s.rate.median <= 0) return "?";
  return ((((s.rate.max - s.rate.min) / 2) * 100) / s.rate.median).toFixed(0);
}

/** Which side ran out of CPU in this variant's runs. */
export function boundBy(s: Summary): string {
  const server = s.serverCoreBusy;
  const generator = s.generatorCoreBusy;
  if (server === undefined || generator === undefined) return "—";
  const serverFull = server >= SATURATED;
  const generatorFull = generator >= SATURATED;
  if (serverFull && generatorFull) return "both";
  if (serverFull) return "server";
  if (generatorFull) return "**generator**";
  return "neither";
}

function table(header: string[], rows: string[][]): string {
  const line = (cells: string[]) =>
    `| ${cells.map((cell) => cell.replace(/\|/g, "\\|")).join(" | ")} |`;
  return [line(header), `|${header.map(() => "---").join("|")}|`, ...rows.map(line)].join("\n");
}

function verdictCell(check: Check): string {
  if (check.result === "PASS") return "PASS";
  if (check.result === "INCONCLUSIVE") {
    if (check.note?.startsWith("inconclusive: generator-bound")) {
      return "*inconclusive: generator-bound*";
    }
    return check.note?.startsWith("inconclusive: other")
      ? "*inconclusive: other load*"
      : "*inconclusive: reference not saturated*";
  }
  if (check.result === "SKIPPED") return "*skipped*";
  return `**${check.result}**`;
}

export interface ReportContext {
  machine: MachineInfo;
  settings: Settings;
  pinned: boolean;
  skipped: Partial<Record<LoadName, string>>;
  totalSeconds: number;
  notes: string[];
  coRuns?: CoRunRecord[];
  /** The cores the load generators were pinned to. */
  generatorCores?: string[];
}

const RATE_LOADS: LoadName[] = ["rr", "pipelined", "churn", "udp", "logging"];

export function renderMarkdown(
  records: RunRecord[],
  checks: Check[],
  context: ReportContext,
): string {
  const { machine, settings } = context;
  const summaries = summariseAll(records);
  const out: string[] = [];
  out.push("# Time server benchmark: timeserver, the naive Node peer and the C reference", "");
  out.push(
    `${machine.date} · Node ${machine.nodeVersion} · ${machine.cpuModel} × ${machine.cores} cores · Linux ${machine.kernel}`,
    "",
    `Load generator: bench/c-loadgen/loadgen (C, one thread, epoll). Runs of ${settings.durationSeconds} s measured after ${settings.warmupSeconds} s warmup; hold: ${settings.holdConnections} connections held ${settings.holdSeconds} s; ${settings.repeat === 1 ? "one run per variant" : `${settings.repeat} interleaved runs per variant, median reported with the min–max of the runs`}. ` +
      (context.pinned
        ? generatorSentence(context.generatorCores ?? ["1"])
        : "**Unpinned** (taskset missing or fewer than 2 cores): every ratio is inconclusive.") +
      ` Loads: ${settings.loads.join(", ")}. Total ${context.totalSeconds.toFixed(0)} s.`,
    "",
    `A ratio is judged PASS or MISS only when the reference's server core was ≥ ${SATURATED * 100}% busy (it was the bottleneck), no generator core was ≥ ${SATURATED * 100}% busy and other processes used < ${OTHER_LOAD * 100}% of a core; otherwise it is inconclusive, never PASS.`,
    "",
  );

  out.push("## Targets", "");
  out.push(
    table(
      ["Check", "timeserver", "Reference", "Ratio", "Target", "Result", "Why"],
      checks.map((check) => [
        check.name,
        check.subject,
        check.reference,
        fmtRatio(check.ratio),
        check.target,
        verdictCell(check),
        check.note ?? "",
      ]),
    ),
    "",
  );

  const rateRows = summaries.filter((s) => RATE_LOADS.includes(s.load));
  if (rateRows.length > 0) {
    out.push("## Throughput and latency", "");
    out.push(
      table(
        [
          "Load",
          "Server",
          "Rate (median, min–max)",
          "vs C (logging: vs warn)",
          "p50 ms",
          "p99 ms",
          "max ms",
          "Bad",
          "Errors",
          "Lost",
          "Server core",
          "Generator core",
          "Other CPU",
          "Bound by",
        ],
        rateRows.map((s) => {
          const refName = s.load === "logging" ? "timeserver warn" : "C";
          const c = find(summaries, s.load, s.workload, refName);
          const vs =
            c?.rate !== undefined && s.rate !== undefined && c !== s && c.rate.median > 0
              ? fmtRatio(s.rate.median / c.rate.median)
              : "";
          const l = s.latencyMs;
          return [
            `${s.workload}`,
            s.variant,
            `${rateWithSpread(s)} ${s.unit}`,
            vs,
            l === undefined ? "—" : fmtMs(l.p50),
            l === undefined ? "—" : fmtMs(l.p99),
            l === undefined ? "—" : fmtMs(l.max),
            String(s.bad),
            String(s.errors),
            s.load === "udp" ? String(s.lost) : "",
            pct(s.serverCoreBusy),
            pct(s.generatorCoreBusy),
            pct(s.otherCpu),
            boundBy(s),
          ];
        }),
      ),
      "",
      `Loads: ${RATE_LOADS.filter((load) => settings.loads.includes(load))
        .map((load) => `${load} = ${LOAD_DESCRIPTIONS[load]}`)
        .join("; ")}. ` +
        "Latency: rr and udp from request to reply; churn from connect to close. " +
        "Server core / Generator core: busy share of the pinned cores from /proc/stat over the middle of the measured window (includes the softirq network work done there), median of the runs. " +
        `Other CPU: busy time of the machine not used by the server, the generator or interrupts (other processes; ≥ ${OTHER_LOAD * 100}% makes a comparison inconclusive). ` +
        `Bound by: which pinned core was ≥ ${SATURATED * 100}% busy.`,
      "",
    );
    for (const [load, why] of Object.entries(context.skipped)) {
      if (RATE_LOADS.includes(load as LoadName)) out.push(`${load}: skipped: ${why}`, "");
    }
  }

  const holds = summaries.filter((s) => s.load === "hold");
  if (holds.length > 0) {
    out.push(`## Hold: ${settings.holdConnections} idle connections on a fresh server`, "");
    out.push(
      table(
        [
          "Server",
          "RSS idle",
          "RSS after the burst",
          "KB/conn after the burst",
          "KB/conn at the end of the hold",
          "Max RSS",
          "Held",
          "Answered",
          "Errors",
        ],
        holds.map((s) => {
          const run =
            s.runs.find((r) => r.hold?.kbPerConnection === s.kbPerConnection) ?? s.runs[0];
          return [
            s.variant,
            fmtMb(run?.hold?.beforeKb),
            fmtMb(run?.hold?.midHoldKb),
            s.kbPerConnection === undefined ? "—" : fmtKb(s.kbPerConnection),
            s.settledKbPerConnection === undefined ? "—" : fmtKb(s.settledKbPerConnection),
            fmtMb(run?.hold?.maxKb),
            String(s.held ?? "—"),
            Number.isFinite(s.answered) ? String(s.answered) : "—",
            s.rate === undefined ? (s.firstError ?? "—") : String(s.errors),
          ];
        }),
      ),
      "",
      `KB/conn = (VmRSS − VmRSS of the idle fresh server) / connections, median of the runs: after the burst = 2.5 s after every connection was accepted (the figure the target judges), at the end of the hold = ${settings.holdSeconds} s later, what the idle connections cost once the burst is over (an idle Node server gives memory back only if V8's memory reducer runs, about 10–20 s after a major collection, and not at all if the burst caused none). Answered = the fewest connections that answered TIME after the hold in any run.`,
      "",
    );
  }

  const bench = summaries.filter((s) => s.load === "timebench");
  if (bench.length > 0) {
    const loadgen = bench.find((s) => s.role === "reference");
    const timebench = bench.find((s) => s.role === "subject");
    out.push("## How much one timebench process drives", "");
    out.push(
      table(
        ["Generator", "Rate against the C reference (rr 100×1)", "Generator CPU", "Server core"],
        bench.map((s) => [
          s.variant,
          `${rateWithSpread(s)} ${s.unit}`,
          pct(s.generatorCpu),
          pct(s.serverCoreBusy),
        ]),
      ),
      "",
    );
    if (loadgen?.rate !== undefined && timebench?.rate !== undefined && loadgen.rate.median > 0) {
      out.push(
        `One timebench process drives ${fmtRatio(timebench.rate.median / loadgen.rate.median)} of what loadgen drives against the same C server.`,
        "",
      );
    }
  }

  const coRuns = summariseCoRuns(context.coRuns ?? []);
  if (coRuns.length > 0) {
    out.push("## Efficiency on a shared core: the naive peer and timeserver at once", "");
    out.push(
      "Both servers on the server core at the same time, each driven by its own loadgen on the generator core; with the core saturated each gets about half of it, so requests per CPU-second compare what each spends per request, and the machine's noise hits both alike.",
      "",
    );
    out.push(
      table(
        [
          "Load",
          "naive Node per CPU-s",
          "timeserver per CPU-s",
          "Ratio (median, min–max)",
          "Server core",
          "Generator core",
          "Judgement",
        ],
        coRuns.map((s) => [
          s.workload,
          s.naivePerCpuSecond === undefined ? "—" : fmtRate(s.naivePerCpuSecond),
          s.timeserverPerCpuSecond === undefined ? "—" : fmtRate(s.timeserverPerCpuSecond),
          s.ratio === undefined
            ? "—"
            : `${fmtRatio(s.ratio.median)} (${fmtRatio(s.ratio.min)}–${fmtRatio(s.ratio.max)})`,
          pct(s.serverCoreBusy),
          pct(s.generatorCoreBusy),
          s.inconclusive ?? "conclusive",
        ]),
      ),
      "",
    );
  }

  if (settings.loads.includes("workers")) {
    out.push("## Workers", "");
    const skip = context.skipped.workers;
    if (skip !== undefined) out.push(`Not measured: ${skip}`, "");
    else {
      const rows = summaries.filter((s) => s.load === "workers");
      out.push(
        table(
          [
            "n",
            "Server",
            "Rate (median, min–max)",
            "vs C n",
            "vs n=1",
            "p99 ms",
            "Server cores",
            "Generator cores (max)",
            "Judgement",
          ],
          rows.map((s) => {
            const ref = rows.find((r) => r.workers === s.workers && r.role === "reference");
            const one = rows.find((r) => r.workers === 1 && r.role === s.role);
            const ratio = (a?: Summary, b?: Summary) =>
              a?.rate !== undefined && b?.rate !== undefined && b.rate.median > 0 && a !== b
                ? fmtRatio(a.rate.median / b.rate.median)
                : "—";
            return [
              String(s.workers ?? "?"),
              s.variant,
              `${rateWithSpread(s)} ${s.unit}`,
              ratio(s, ref),
              ratio(s, one),
              s.latencyMs === undefined ? "—" : fmtMs(s.latencyMs.p99),
              pct(s.serverCoreBusy),
              pct(s.generatorCoreBusy),
              s.role === "subject" && ref !== undefined
                ? (inconclusive(ref, s) ?? "conclusive")
                : "",
            ];
          }),
        ),
        "",
      );
    }
  }

  const open = checks.filter((check) => check.result !== "PASS");
  out.push("## Misses and inconclusive results", "");
  if (open.length === 0) out.push("None: every target met.", "");
  else {
    for (const check of open) {
      out.push(
        `- **${check.result}** ${check.name}: timeserver ${check.subject} vs ${check.reference}${check.ratio === undefined ? "" : ` = ${fmtRatio(check.ratio)}`}, target ${check.target}${check.note === undefined ? "" : ` (${check.note})`}`,
      );
    }
    out.push("");
  }

  if (context.notes.length > 0) {
    out.push("## Notes", "", ...context.notes.map((note) => `- ${note}`), "");
  }
  return out.join("\n");
}
