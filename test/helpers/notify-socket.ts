/**
 * A stand-in for systemd's notify socket: a Unix datagram socket bound by a
 * small python3 program (Node cannot bind one) that prints each message it
 * receives as one JSON string per line. It closes every fd a message carries,
 * which is how systemd answers the BARRIER=1 that systemd-notify sends after
 * each message to wait until it was read; BARRIER=1 itself is left out.
 */

import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import type { CleanupContext } from "./wire-client.js";

const READER = `
import array, json, os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
print(json.dumps("bound"), flush=True)
while True:
    msg, anc, _flags, _addr = s.recvmsg(65536, socket.CMSG_SPACE(64 * 4))
    for level, kind, data in anc:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            fds = array.array("i")
            fds.frombytes(data[: len(data) - len(data) % fds.itemsize])
            for fd in fds:
                os.close(fd)
    print(json.dumps(msg.decode("utf-8", "replace")), flush=True)
`;

const haveNotify =
  spawnSync("python3", ["-c", ""]).status === 0 &&
  spawnSync("systemd-notify", ["--version"]).error === undefined;

/** The reason to skip, or false when python3 and systemd-notify are both here. */
export const noNotifySocket = haveNotify
  ? false
  : "needs python3 and systemd-notify (Debian packages: python3, systemd)";

export class FakeNotifySocket {
  /** Every message received, in order, each as "A=1\nB=2". */
  readonly messages: string[] = [];
  /** Resolves true once the socket is bound, false if python3 exits first. */
  readonly bound: Promise<boolean>;
  private waiters: (() => void)[] = [];
  private gone = false;

  constructor(
    readonly path: string,
    child: ChildProcess,
  ) {
    let onBound: (bound: boolean) => void = () => {};
    this.bound = new Promise((resolve) => {
      onBound = resolve;
    });
    createInterface({ input: child.stdout! }).on("line", (line) => {
      const message = JSON.parse(line) as string;
      if (message === "bound") onBound(true);
      if (message === "bound" || message === "BARRIER=1") return;
      this.messages.push(message);
      this.wake();
    });
    child.once("exit", () => {
      onBound(false);
      this.gone = true;
      this.wake();
    });
  }

  /** Every assignment received, in order, one "NAME=value" each. */
  get assignments(): string[] {
    return this.messages.flatMap((message) => message.split("\n"));
  }

  /** The first message (from index `from` on) with an assignment matching `pattern`. */
  waitFor(pattern: RegExp, from = 0): Promise<string> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const found = this.messages
          .slice(from)
          .find((message) => message.split("\n").some((line) => pattern.test(line)));
        if (found !== undefined) resolve(found);
        else if (this.gone) reject(new Error(`the notify socket closed before ${pattern}`));
        else this.waiters.push(check);
      };
      check();
    });
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const waiter of waiters) waiter();
  }
}

/** Bind a fake notify socket in a fresh directory; gone when the test ends. */
export async function fakeNotifySocket(t: CleanupContext): Promise<FakeNotifySocket> {
  const dir = mkdtempSync(join(tmpdir(), "timeserver-notify-"));
  const path = join(dir, "notify.sock");
  const child = spawn("python3", ["-c", READER, path], { stdio: ["ignore", "pipe", "inherit"] });
  t.after(() => {
    child.kill();
    rmSync(dir, { recursive: true, force: true });
  });
  const socket = new FakeNotifySocket(path, child);
  if (!(await socket.bound)) throw new Error(`python3 could not bind ${path}`);
  return socket;
}
