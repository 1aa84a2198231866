/**
 * `npm ci && npm start` compiles once: `prepare` (which npm ci runs) builds,
 * and `prestart` and `pretest` run the same `build`, whose `tsc -b` brings
 * dist/ up to date, which does nothing when no source changed since. Checked
 * on this tree, just built by `npm test`'s pretest: tsc's own up-to-date check
 * says there is nothing to build. The build also marks the three programs
 * executable, as the README's `npx timeclient` needs in a clone (npm does it
 * only for an installed package's bins).
 */

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { accessSync, constants, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const packageJson = JSON.parse(readFileSync(`${ROOT}package.json`, "utf8")) as {
  scripts: Record<string, string>;
  bin: Record<string, string>;
};
const scripts = packageJson.scripts;

describe("building", () => {
  it("prepare, prestart and pretest all run the one build, incremental with tsc -b", () => {
    assert.match(scripts.build ?? "", /^tsc -b && chmod \+x /);
    for (const name of ["prepare", "prestart", "pretest"]) {
      assert.equal(scripts[name], "npm run -s build", name);
    }
    const tsconfig = readFileSync(`${ROOT}tsconfig.json`, "utf8");
    assert.match(tsconfig, /"incremental": true/);
  });

  it("after a build, tsc -b finds nothing to compile (else: a source changed, run npm run build)", () => {
    const tsc = createRequire(`${ROOT}package.json`).resolve("typescript/bin/tsc");
    const dry = spawnSync(process.execPath, [tsc, "-b", "--dry"], { cwd: ROOT, encoding: "utf8" });
    assert.equal(dry.status, 0, dry.stderr);
    assert.match(dry.stdout, /is up to date/, dry.stdout);
  });

  it("leaves every program in package.json's bin executable, so npx timeclient runs in the clone", () => {
    for (const [name, path] of Object.entries(packageJson.bin)) {
      assert.doesNotThrow(() => accessSync(`${ROOT}${path}`, constants.X_OK), name);
    }
    // The npm that runs these tests when there is one (npm test), else the one on PATH.
    const cli = process.env.npm_execpath;
    const [command, ...prefix] = cli?.endsWith(".js") ? [process.execPath, cli] : ["npm"];
    const args = [...prefix, "exec", "--no", "--offline", "--", "timeclient", "--help"];
    const npx = spawnSync(command as string, args, {
      cwd: ROOT,
      encoding: "utf8",
      env: { ...process.env, npm_config_update_notifier: "false" },
    });
    assert.equal(npx.status, 0, `npx timeclient --help: ${npx.stderr}`);
    assert.match(npx.stdout, /^Usage: timeclient /);
  });
});
