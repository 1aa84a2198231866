import assert from "node:assert/strict";
import { chmodSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { randomNtsSecret, readNtsSecret } from "../../src/server/nts-secret.js";
import { scratchDir } from "../helpers/tls-files.js";

describe("readNtsSecret", () => {
  it("reads a 0600 file and leaves out a trailing newline", (t) => {
    const file = join(scratchDir(t, "nts-secret-"), "secret");
    writeFileSync(file, `${"x".repeat(40)}\n`, { mode: 0o600 });
    assert.equal(readNtsSecret(file).toString(), "x".repeat(40));
  });

  it("refuses a file the group or others can read, a short one, and a missing one", (t) => {
    const dir = scratchDir(t, "nts-secret-");
    const loose = join(dir, "loose");
    writeFileSync(loose, "y".repeat(40));
    chmodSync(loose, 0o640);
    assert.throws(() => readNtsSecret(loose), /mode 640\): chmod 600 it/);
    const short = join(dir, "short");
    writeFileSync(short, "z".repeat(31), { mode: 0o600 });
    assert.throws(() => readNtsSecret(short), /holds 31 bytes; at least 32/);
    assert.throws(
      () => readNtsSecret(join(dir, "absent")),
      /cannot read the NTS secret file .*ENOENT/,
    );
  });

  it("makes a random 32-byte secret as hex", () => {
    assert.match(randomNtsSecret(), /^[0-9a-f]{64}$/);
    assert.notEqual(randomNtsSecret(), randomNtsSecret());
  });
});
