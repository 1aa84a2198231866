/**
 * A real memory cgroup (v1: memory.limit_in_bytes) for a test's server, so
 * that using too much memory ends in the kernel's OOM kill as it would in a
 * container with a limit. Made under the hierarchy this process can write
 * (the mount at /sys/fs/cgroup/memory), removed when the test ends; where
 * none is writable the test is skipped with the reason.
 */

import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const V1_ROOT = "/sys/fs/cgroup/memory";

/** Why no memory cgroup can be made here, or undefined when one can. */
export function memoryCgroupUnavailable(): string | undefined {
  if (!existsSync(join(V1_ROOT, "memory.limit_in_bytes")))
    return `no cgroup v1 memory hierarchy at ${V1_ROOT}`;
  const probe = join(V1_ROOT, `timeserver-probe-${process.pid}`);
  try {
    mkdirSync(probe);
    rmdirSync(probe);
    return undefined;
  } catch (error) {
    return `cannot make a memory cgroup under ${V1_ROOT}: ${(error as NodeJS.ErrnoException).code}`;
  }
}

export class MemoryCgroup {
  readonly path: string;

  constructor(
    name: string,
    readonly limitBytes: number,
  ) {
    this.path = join(V1_ROOT, `${name}-${process.pid}`);
    mkdirSync(this.path);
    this.write("memory.limit_in_bytes", String(limitBytes));
    // No swap to hide behind: over the limit is an OOM kill, as in a pod.
    try {
      this.write("memory.memsw.limit_in_bytes", String(limitBytes));
    } catch {
      this.write("memory.swappiness", "0");
    }
  }

  /** Spawn `command` with `args` inside the cgroup (bash joins it, then execs). */
  spawn(command: string, args: string[], env: NodeJS.ProcessEnv = {}): ChildProcess {
    const quoted = [command, ...args].map((arg) => `'${arg.replaceAll("'", "'\\''")}'`).join(" ");
    return spawn("bash", ["-c", `echo $$ > '${this.path}/cgroup.procs' && exec ${quoted}`], {
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
  }

  /** Highest usage so far, in bytes. */
  get maxUsage(): number {
    return Number(this.read("memory.max_usage_in_bytes"));
  }

  /** OOM kills in this cgroup (the kernel's count; 0 where it does not keep one). */
  get oomKills(): number {
    return Number(/^oom_kill (\d+)$/m.exec(this.read("memory.oom_control"))?.[1] ?? 0);
  }

  /** Remove the cgroup (its processes must have exited). */
  remove(): void {
    try {
      rmdirSync(this.path);
    } catch {}
  }

  private read(file: string): string {
    return readFileSync(join(this.path, file), "utf8");
  }

  private write(file: string, value: string): void {
    writeFileSync(join(this.path, file), value);
  }
}
