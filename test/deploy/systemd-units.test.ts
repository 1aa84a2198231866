/**
 * The units in deploy/systemd/: systemd-analyze verify accepts them, each
 * socket hands over a name and a transport that inheritedSockets accepts, the
 * service keeps its hardening, and the real server uses no system call that
 * the unit's SystemCallFilter would refuse (checked under strace).
 */

import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { after, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { serviceForFdName } from "../../src/config/inherited-sockets.js";
import { readUnitFile, type UnitFile, value, values } from "./unit-file.js";

const UNITS_DIR = fileURLToPath(new URL("../../../deploy/systemd/", import.meta.url));
const SERVER_BIN = fileURLToPath(new URL("../../src/cli/timeserver.js", import.meta.url));
const DRAIN_SECONDS = 2;

const haveAnalyze = spawnSync("systemd-analyze", ["--version"]).error === undefined;
const noAnalyze = haveAnalyze
  ? false
  : "systemd-analyze is not installed (Debian package: systemd)";
const haveStrace = spawnSync("strace", ["-o", "/dev/null", "true"]).status === 0;
const noStrace =
  !haveAnalyze || !haveStrace
    ? "needs systemd-analyze and a working strace (Debian packages: systemd, strace; ptrace allowed)"
    : false;

const unitNames = readdirSync(UNITS_DIR).filter((name) => /\.(service|socket)$/.test(name));
const units = new Map<string, UnitFile>(
  unitNames.map((name) => [name, readUnitFile(join(UNITS_DIR, name))]),
);
const service = units.get("timeserver.service")!;

const scratch: string[] = [];
after(() => {
  for (const dir of scratch) rmSync(dir, { recursive: true, force: true });
});

/** Seconds from a systemd time span ("10s", "1min 30s", "500ms", "15"). */
function seconds(span: string): number {
  const scale: Record<string, number> = { ms: 0.001, s: 1, sec: 1, min: 60, m: 60, h: 3600 };
  let total = 0;
  for (const [, amount, unit] of span.matchAll(/([0-9.]+)\s*([a-z]*)/g)) {
    total += Number(amount) * (scale[unit || "s"] ?? Number.NaN);
  }
  return total;
}

describe("deploy/systemd units", () => {
  it("are the service and the five sockets", () => {
    assert.deepEqual([...units.keys()].sort(), [
      "timeserver-daytime.socket",
      "timeserver-ntp.socket",
      "timeserver-nts-ke.socket",
      "timeserver-rfc868.socket",
      "timeserver.service",
      "timeserver.socket",
    ]);
  });

  it("pass systemd-analyze verify with no complaint", { skip: noAnalyze }, () => {
    // verify insists the ExecStart binary exists, so point a copy at this checkout's build.
    const dir = mkdtempSync(join(tmpdir(), "timeserver-units-"));
    scratch.push(dir);
    cpSync(UNITS_DIR, dir, { recursive: true });
    const servicePath = join(dir, "timeserver.service");
    const text = readFileSync(servicePath, "utf8");
    assert.match(text, /^ExecStart=\/usr\/bin\/timeserver$/m);
    writeFileSync(
      servicePath,
      text.replace(/^ExecStart=.*$/m, `ExecStart=${process.execPath} ${SERVER_BIN}`),
    );
    const result = spawnSync(
      "systemd-analyze",
      ["verify", ...unitNames.map((name) => `./${name}`)],
      {
        cwd: dir,
        encoding: "utf8",
      },
    );
    const complaints = `${result.stdout}${result.stderr}`
      .split("\n")
      .filter((line) => line.includes("timeserver"));
    assert.deepEqual(complaints, []);
    assert.equal(result.status, 0, result.stderr);
  });

  it("give each socket a name and transport that inheritedSockets serves", () => {
    const expected: Record<string, { name: string; stream: string[]; datagram: string[] }> = {
      "timeserver.socket": { name: "line", stream: ["45000"], datagram: [] },
      "timeserver-daytime.socket": { name: "daytime", stream: ["13"], datagram: ["13"] },
      "timeserver-rfc868.socket": { name: "rfc868", stream: ["37"], datagram: ["37"] },
      "timeserver-ntp.socket": { name: "ntp", stream: [], datagram: ["123"] },
      "timeserver-nts-ke.socket": { name: "nts-ke", stream: ["4460"], datagram: [] },
    };
    for (const [file, want] of Object.entries(expected)) {
      const socket = units.get(file)!;
      const fdName = value(socket, "Socket", "FileDescriptorName")!;
      assert.equal(serviceForFdName(fdName), want.name, file);
      assert.deepEqual(values(socket, "Socket", "ListenStream"), want.stream, file);
      assert.deepEqual(values(socket, "Socket", "ListenDatagram"), want.datagram, file);
      assert.equal(value(socket, "Socket", "Service"), "timeserver.service", file);
      // Accept=yes would hand over connected sockets, which inheritedSockets refuses.
      assert.notEqual(value(socket, "Socket", "Accept"), "yes", file);
      assert.equal(value(socket, "Install", "WantedBy"), "sockets.target", file);
    }
  });

  it("start the service after every socket and require the line protocol's (NTS-KE's is opt-in)", () => {
    const requires = values(service, "Unit", "Requires").join(" ").split(/\s+/);
    const wants = values(service, "Unit", "Wants").join(" ").split(/\s+/);
    const afterUnits = values(service, "Unit", "After").join(" ").split(/\s+/);
    assert.ok(requires.includes("timeserver.socket"));
    for (const socket of unitNames.filter((name) => name.endsWith(".socket"))) {
      assert.ok(afterUnits.includes(socket), `After= lacks ${socket}`);
      // NTS-KE needs a certificate the unit cannot ship: enabled by hand, not pulled in.
      if (socket === "timeserver-nts-ke.socket") {
        assert.ok(!wants.includes(socket) && !requires.includes(socket));
        continue;
      }
      assert.ok(requires.includes(socket) || wants.includes(socket), `${socket} not pulled in`);
    }
  });

  it("run the server unprivileged and sandboxed, without MemoryDenyWriteExecute (V8's JIT)", () => {
    const setting = (key: string) => value(service, "Service", key);
    assert.match(setting("ExecStart")!, /^\//, "ExecStart must be an absolute path");
    assert.equal(setting("DynamicUser"), "yes");
    assert.equal(setting("NoNewPrivileges"), "yes");
    assert.equal(setting("ProtectSystem"), "strict");
    assert.equal(setting("ProtectHome"), "yes");
    assert.equal(setting("PrivateTmp"), "yes");
    assert.equal(setting("PrivateDevices"), "yes");
    assert.equal(setting("CapabilityBoundingSet"), "");
    assert.deepEqual(setting("RestrictAddressFamilies")!.split(/\s+/).sort(), [
      "AF_INET",
      "AF_INET6",
      "AF_UNIX",
    ]);
    assert.ok(values(service, "Service", "SystemCallFilter").join(" ").includes("@system-service"));
    assert.equal(setting("MemoryDenyWriteExecute"), undefined);
    assert.equal(setting("Restart"), "on-failure");
    assert.equal(setting("KillSignal"), "SIGTERM");
    assert.ok(values(service, "Service", "Environment").includes("TIMESERVER_LOG_LEVEL=warn"));
  });

  it("give the SIGTERM drain time to finish before SIGKILL", () => {
    const stop = seconds(value(service, "Service", "TimeoutStopSec")!);
    assert.ok(
      stop > DRAIN_SECONDS,
      `TimeoutStopSec ${stop}s is not above the ${DRAIN_SECONDS}s drain`,
    );
  });

  it("allow every system call the server makes while serving and draining", {
    skip: noStrace,
  }, async () => {
    const allowed = allowedSyscalls(values(service, "Service", "SystemCallFilter"));
    const dir = mkdtempSync(join(tmpdir(), "timeserver-strace-"));
    scratch.push(dir);
    const summary = join(dir, "summary");
    const child = spawn(
      "strace",
      [
        "-f",
        "-qq",
        "-c",
        "-o",
        summary,
        process.execPath,
        SERVER_BIN,
        "--host",
        "127.0.0.1",
      ].concat(["--port", "0", "--log-format", "json"]),
      { stdio: ["ignore", "pipe", "inherit"] },
    );
    const exited = once(child, "exit");
    const listening = await new Promise<{ pid: number; port: number }>((resolve, reject) => {
      createInterface({ input: child.stdout! }).on("line", (line) => {
        const entry = JSON.parse(line) as { pid: number; msg: string };
        const port = /^Listening on 127\.0\.0\.1:(\d+)$/.exec(entry.msg)?.[1];
        if (port !== undefined) resolve({ pid: entry.pid, port: Number(port) });
      });
      child.once("exit", () => reject(new Error("the server exited before listening")));
    });
    const reply = await new Promise<string>((resolve, reject) => {
      const socket = net.connect(listening.port, "127.0.0.1", () =>
        socket.write("TIME\r\nQUIT\r\n"),
      );
      let text = "";
      socket.setEncoding("utf8");
      socket.on("data", (chunk: string) => {
        text += chunk;
      });
      socket.on("end", () => resolve(text));
      socket.on("error", reject);
    });
    assert.match(reply, /^JAM \d\d:\d\d:\d\d\r\n$/);
    process.kill(listening.pid, "SIGTERM");
    const [code] = await exited;
    assert.equal(code, 0);
    const used = readFileSync(summary, "utf8")
      .split("\n")
      .map((line) => line.trim().split(/\s+/).at(-1) ?? "")
      .filter((name) => /^[a-z_0-9]+$/.test(name) && name !== "total" && name !== "syscall");
    assert.ok(
      used.includes("epoll_wait") || used.includes("epoll_pwait"),
      "strace saw no syscalls",
    );
    assert.deepEqual(
      used.filter((name) => !allowed.has(name)),
      [],
      "system calls SystemCallFilter= would refuse",
    );
  });
});

/** The system calls a SystemCallFilter= allow list lets through, groups expanded by systemd-analyze. */
function allowedSyscalls(filters: string[]): Set<string> {
  const listing = spawnSync("systemd-analyze", ["syscall-filter"], { encoding: "utf8" }).stdout;
  const groups = new Map<string, string[]>();
  let current: string[] | undefined;
  for (const line of listing.split("\n")) {
    if (line.startsWith("@")) {
      current = [];
      groups.set(line.trim(), current);
    } else if (line.startsWith("#")) {
      current = undefined; // the trailing list of calls in no group
    } else if (current !== undefined && line.trim() !== "" && !line.trim().startsWith("#")) {
      current.push(line.trim());
    }
  }
  const allowed = new Set<string>();
  const add = (item: string) => {
    if (!item.startsWith("@")) {
      allowed.add(item);
      return;
    }
    const members = groups.get(item);
    assert.ok(members !== undefined, `systemd-analyze does not know ${item}`);
    for (const member of members) add(member);
  };
  for (const filter of filters) {
    assert.ok(!filter.startsWith("~"), "the filter is expected to be an allow list");
    for (const item of filter.split(/\s+/).filter(Boolean)) add(item);
  }
  return allowed;
}
