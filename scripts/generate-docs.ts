/**
 * `npm run docs`: writes the flag reference in docs/configuration.md and the
 * man pages in man/ from the programs' option tables. `--check` writes
 * nothing and exits 1 naming every file that differs from what the tables
 * say (test/scripts/reference-docs.test.ts asserts the same).
 */

import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { referenceFiles } from "./reference-files.js";

/** The repository root: dist/scripts/ is two levels below it. */
const ROOT = fileURLToPath(new URL("../../", import.meta.url));

function main(argv: readonly string[]): number {
  const check = argv.includes("--check");
  const stale: string[] = [];
  for (const [path, content] of referenceFiles(ROOT)) {
    let current: string | undefined;
    try {
      current = readFileSync(ROOT + path, "utf8");
    } catch {
      current = undefined;
    }
    if (current === content) continue;
    stale.push(path);
    if (!check) writeFileSync(ROOT + path, content);
  }
  if (check && stale.length > 0) {
    process.stderr.write(`generate-docs: out of date: ${stale.join(", ")} (run npm run docs)\n`);
    return 1;
  }
  for (const path of stale) process.stdout.write(`wrote ${path}\n`);
  return 0;
}

process.exitCode = main(process.argv.slice(2));
