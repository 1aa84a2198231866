/**
 * What the runner reads from Linux: the machine it runs on, and per process
 * (or process group) the resident memory, the open descriptors and the CPU
 * time, all from /proc so nothing needs to be installed.
 */

import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import os from "node:os";

export interface MachineInfo {
  date: string;
  nodeVersion: string;
  cpuModel: string;
  cores: number;
  kernel: string;
  platform: string;
  /** Path of taskset, or undefined when it is missing (runs are then unpinned). */
  taskset: string | undefined;
}

export function machineInfo(): MachineInfo {
  return {
    date: new Date().toISOString(),
    nodeVersion: process.version,
    cpuModel: cpuModel(),
    cores: os.cpus().length,
    kernel: uname(),
    platform: `${os.platform()} ${os.arch()}`,
    taskset: findTaskset(),
  };
}

function cpuModel(): string {
  try {
    const match = /^model name\s*:\s*(.+)$/m.exec(readFileSync("/proc/cpuinfo", "utf8"));
    if (match?.[1] !== undefined) return match[1].trim();
  } catch {
    // Fall through to what Node knows.
  }
  return os.cpus()[0]?.model ?? "unknown";
}

function uname(): string {
  try {
    return execFileSync("uname", ["-r"], { encoding: "utf8" }).trim();
  } catch {
    return os.release();
  }
}

function findTaskset(): string | undefined {
  try {
    execFileSync("taskset", ["-c", "0", "true"], { stdio: "ignore" });
    return execFileSync("sh", ["-c", "command -v taskset"], { encoding: "utf8" }).trim();
  } catch {
    return undefined;
  }
}

/** Clock ticks per second, the unit of utime and stime in /proc/<pid>/stat. */
export const CLOCK_TICKS: number = (() => {
  try {
    const value = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim());
    return Number.isFinite(value) && value > 0 ? value : 100;
  } catch {
    return 100;
  }
})();

/** VmRSS of one process in KiB, or undefined when it is gone. */
export function rssKb(pid: number): number | undefined {
  try {
    const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return match?.[1] === undefined ? undefined : Number(match[1]);
  } catch {
    return undefined;
  }
}

/** Open descriptors of one process, or undefined when it is gone. */
export function fdCount(pid: number): number | undefined {
  try {
    return readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return undefined;
  }
}

interface ProcStat {
  pid: number;
  pgrp: number;
  state: string;
  /** utime + stime, in clock ticks. */
  cpuTicks: number;
}

function readStat(pid: number): ProcStat | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name is in parentheses and may hold spaces: split after it.
    const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
    return {
      pid,
      state: fields[0] ?? "?",
      pgrp: Number(fields[2]),
      cpuTicks: Number(fields[11]) + Number(fields[12]),
    };
  } catch {
    return undefined;
  }
}

function allPids(): number[] {
  return readdirSync("/proc")
    .filter((name) => /^\d+$/.test(name))
    .map(Number);
}

/** Living members (not zombies) of a process group. */
export function groupMembers(pgid: number): number[] {
  const members: number[] = [];
  for (const pid of allPids()) {
    const stat = readStat(pid);
    if (stat !== undefined && stat.pgrp === pgid && stat.state !== "Z") members.push(pid);
  }
  return members;
}

/** CPU seconds used so far by every process of a group (a server and its workers). */
export function groupCpuSeconds(pgid: number): number {
  let ticks = 0;
  for (const pid of allPids()) {
    const stat = readStat(pid);
    if (stat !== undefined && stat.pgrp === pgid) ticks += stat.cpuTicks;
  }
  return ticks / CLOCK_TICKS;
}

/** CPU seconds used so far by one process, or undefined when it is gone. */
export function processCpuSeconds(pid: number): number | undefined {
  const stat = readStat(pid);
  return stat === undefined ? undefined : stat.cpuTicks / CLOCK_TICKS;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Cumulative tick counters of /proc/stat: per core and for the whole machine. */
export interface CpuTimes {
  /** Busy ticks (everything but idle and iowait) per core, by core number. */
  coreBusy: number[];
  /** Busy ticks of all cores. */
  busy: number;
  /** Of those, interrupt and softirq ticks (network processing lands there). */
  irq: number;
}

export function readCpuTimes(): CpuTimes {
  const times: CpuTimes = { coreBusy: [], busy: 0, irq: 0 };
  try {
    for (const line of readFileSync("/proc/stat", "utf8").split("\n")) {
      const match = /^cpu(\d*)\s+(.+)$/.exec(line);
      if (match === null) continue;
      // user nice system idle iowait irq softirq steal ...
      const [user, nice, system, , , irq, softirq, steal] = (match[2] ?? "")
        .split(/\s+/)
        .map(Number);
      const busy =
        (user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0) + (steal ?? 0);
      if (match[1] === "") {
        times.busy = busy;
        times.irq = (irq ?? 0) + (softirq ?? 0);
      } else {
        times.coreBusy[Number(match[1])] = busy;
      }
    }
  } catch {
    // Not Linux: no figures.
  }
  return times;
}
