/**
 * Which generated files exist and what each must contain: the three man
 * pages, and docs/configuration.md with its generated regions filled in.
 */

import { readFileSync } from "node:fs";
import { BENCH_HELP } from "../src/config/bench-config.js";
import { CLIENT_HELP } from "../src/config/client-config.js";
import { SERVER_HELP } from "../src/config/server-config.js";
import {
  manPage,
  markdownOptions,
  type ReferenceProgram,
  replaceGenerated,
} from "./reference-docs.js";

export const PROGRAMS: readonly ReferenceProgram[] = [
  {
    help: SERVER_HELP,
    tagline: "a time server: the line protocol (TIME, JAM hh:mm:ss), RFC 867, RFC 868 and SNTPv4",
  },
  { help: CLIENT_HELP, tagline: "a client for timeserver's line protocol" },
  { help: BENCH_HELP, tagline: "a load generator that measures a timeserver" },
];

export const CONFIGURATION_DOC = "docs/configuration.md";

/** Path (relative to the repository root) → the content it must have. */
export function referenceFiles(root: string): Map<string, string> {
  const files = new Map<string, string>();
  const names = PROGRAMS.map((program) => program.help.name);
  for (const program of PROGRAMS) {
    const others = names.filter((name) => name !== program.help.name);
    files.set(`man/${program.help.name}.1`, manPage(program, others));
  }
  let doc = readFileSync(root + CONFIGURATION_DOC, "utf8");
  for (const program of PROGRAMS) {
    doc = replaceGenerated(doc, `${program.help.name}-options`, markdownOptions(program.help));
  }
  files.set(CONFIGURATION_DOC, doc);
  return files;
}
