/**
 * `npm ci && npm start` compiles once: `prepare` (which npm ci runs) builds,
 * and `prestart` and `pretest` only ask `tsc -b` to bring dist/ up to date,
 * which does nothing when no source changed since. Checked on this tree, just
 * built by `npm test`'s pretest: tsc's own up-to-date check says there is
 * nothing to build.
 */

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const scripts = (
  JSON.parse(readFileSync(`${ROOT}package.json`, "utf8")) as { scripts: Record<string, string> }
).scripts;

describe("building", () => {
  it("prepare, prestart and pretest all build incrementally with tsc -b", () => {
    for (const name of ["build", "prepare", "prestart", "pretest"]) {
      assert.equal(scripts[name], "tsc -b", name);
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
});
