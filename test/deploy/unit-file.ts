/**
 * Reads a systemd unit file as systemd does for these tests' purposes:
 * sections of `Key=value` lines, a key may repeat (values kept in order), and
 * `#`/`;` lines are comments. No line continuations or specifiers.
 */

import { readFileSync } from "node:fs";

export type UnitFile = Map<string, Map<string, string[]>>;

export function readUnitFile(path: string): UnitFile {
  const unit: UnitFile = new Map();
  let section: Map<string, string[]> | undefined;
  for (const raw of readFileSync(path, "utf8").split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#") || line.startsWith(";")) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header) {
      section = new Map();
      unit.set(header[1]!, section);
      continue;
    }
    const equals = line.indexOf("=");
    if (section === undefined || equals < 0) throw new Error(`${path}: cannot read "${line}"`);
    const key = line.slice(0, equals).trim();
    const values = section.get(key) ?? [];
    values.push(line.slice(equals + 1).trim());
    section.set(key, values);
  }
  return unit;
}

/** Every value of `key` in `section`, in order; [] when absent. */
export function values(unit: UnitFile, section: string, key: string): string[] {
  return unit.get(section)?.get(key) ?? [];
}

/** The value that wins (the last one), or undefined. */
export function value(unit: UnitFile, section: string, key: string): string | undefined {
  return values(unit, section, key).at(-1);
}
