/**
 * Reads a Dockerfile into stages of instructions, as far as these tests need:
 * comments and blank lines dropped, backslash continuations joined, each
 * instruction split into its keyword (upper-cased) and the rest.
 */

import { readFileSync } from "node:fs";

export interface Instruction {
  keyword: string;
  args: string;
}

export interface Stage {
  /** The FROM line's image, e.g. "node:26-slim". */
  base: string;
  /** The `AS name`, if any. */
  name?: string;
  instructions: Instruction[];
}

export function readDockerfile(path: string): Stage[] {
  const logical: string[] = [];
  let pending = "";
  for (const raw of readFileSync(path, "utf8").split("\n")) {
    const line = raw.trim();
    if (pending === "" && (line === "" || line.startsWith("#"))) continue;
    if (line.startsWith("#")) continue; // a comment inside a continued instruction
    if (line.endsWith("\\")) {
      pending += `${line.slice(0, -1).trim()} `;
      continue;
    }
    logical.push(`${pending}${line}`.trim());
    pending = "";
  }
  const stages: Stage[] = [];
  for (const line of logical) {
    const space = line.search(/\s/);
    const keyword = (space < 0 ? line : line.slice(0, space)).toUpperCase();
    const args = space < 0 ? "" : line.slice(space + 1).trim();
    if (keyword === "FROM") {
      const [base = "", as, name] = args.split(/\s+/);
      stages.push({
        base,
        ...(as?.toUpperCase() === "AS" && name !== undefined ? { name } : {}),
        instructions: [],
      });
      continue;
    }
    const stage = stages.at(-1);
    if (stage === undefined) throw new Error(`${path}: ${keyword} before any FROM`);
    stage.instructions.push({ keyword, args });
  }
  return stages;
}

/** The arguments of every `keyword` instruction in a stage, in order. */
export function argsOf(stage: Stage, keyword: string): string[] {
  return stage.instructions.filter((entry) => entry.keyword === keyword).map((entry) => entry.args);
}
