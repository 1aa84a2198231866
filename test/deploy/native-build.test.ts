/**
 * The optional native module's install script never fails the install: with
 * no working compiler it warns in one paragraph and exits 0 (the server then
 * uses dgram), and TIMESERVER_NO_NATIVE=1 skips the build. Run on a copy of
 * native/, so the checkout's own build is untouched.
 */

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { fileURLToPath } from "node:url";

const NATIVE = fileURLToPath(new URL("../../../native", import.meta.url));

/** npm's bundled node-gyp, as npm hands it to install scripts (found the same way outside npm). */
function bundledNodeGyp(): string | undefined {
  if (process.env.npm_config_node_gyp) return process.env.npm_config_node_gyp;
  const root = spawnSync("npm", ["root", "-g"], { encoding: "utf8" }).stdout.trim();
  const gyp = join(root, "npm", "node_modules", "node-gyp", "bin", "node-gyp.js");
  return existsSync(gyp) ? gyp : undefined;
}

describe("native/build.mjs", () => {
  const dir = mkdtempSync(join(tmpdir(), "timeserver-native-"));
  after(() => rmSync(dir, { recursive: true, force: true }));
  for (const name of ["binding.gyp", "build.mjs", "src"]) {
    cpSync(join(NATIVE, name), join(dir, name), { recursive: true });
  }

  it("exits 0 with a warning when the module cannot be compiled", () => {
    const gyp = bundledNodeGyp();
    const result = spawnSync(process.execPath, [join(dir, "build.mjs")], {
      env: {
        ...process.env,
        CC: "/bin/false",
        CXX: "/bin/false",
        TIMESERVER_NO_NATIVE: "",
        ...(gyp === undefined ? {} : { npm_config_node_gyp: gyp }),
      },
      encoding: "utf8",
    });
    assert.equal(result.status, 0, result.stderr);
    if (gyp !== undefined) assert.match(result.stderr, /gyp ERR!/, "node-gyp ran and failed");
    assert.match(result.stderr, /the native UDP module did not build .* will use Node's dgram/);
    assert.ok(!existsSync(join(dir, "build", "Release", "timeserver_native.node")));
  });

  it("builds nothing with TIMESERVER_NO_NATIVE=1", () => {
    const result = spawnSync(process.execPath, [join(dir, "build.mjs")], {
      env: { ...process.env, TIMESERVER_NO_NATIVE: "1" },
      encoding: "utf8",
    });
    assert.equal(result.status, 0);
    assert.match(result.stdout, /TIMESERVER_NO_NATIVE=1, native UDP module not built/);
  });
});
