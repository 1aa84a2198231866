/**
 * `--help` as a user sees it: wrapped to 80 columns when stdout is a pipe,
 * to the terminal's width on a terminal (a pseudo-terminal from script(1)),
 * ending with examples.
 */

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { describe, it } from "node:test";
import { describeRun, runExternal } from "../helpers/run-external.js";
import { CLIENT_BIN, runProgram, SERVER_BIN } from "../helpers/server-process.js";

function longest(text: string): number {
  return Math.max(...text.split(/\r?\n/).map((line) => line.length));
}

describe("--help", () => {
  for (const [name, bin] of [
    ["timeserver", SERVER_BIN],
    ["timeclient", CLIENT_BIN],
  ] as const) {
    it(`${name} --help into a pipe fits 80 columns and ends with examples`, async (t) => {
      const result = await runProgram(bin, ["--help"], { signal: t.signal });
      assert.equal(result.code, 0, result.stderr);
      assert.ok(longest(result.stdout) <= 80, result.stdout);
      assert.match(result.stdout, /\nExamples:\n {2}\S+/);
      assert.ok(result.stdout.endsWith("\n"));
    });
  }

  it("on a 60-column terminal, timeserver --help fits 60 columns", async (t) => {
    if (spawnSync("script", ["--version"]).status !== 0) {
      t.skip("script(1) is not installed (bsdutils)");
      return;
    }
    const command = `stty cols 60 && '${process.execPath}' '${SERVER_BIN}' --help`;
    const args = ["-qec", command, "/dev/null"];
    const result = await runExternal("script", args);
    assert.equal(result.code, 0, describeRun("script", args, result));
    assert.match(result.stdout, /Examples:/);
    assert.ok(longest(result.stdout) <= 60, result.stdout);
    assert.ok(longest(result.stdout) > 50, "the text uses the width it has");
  });
});
