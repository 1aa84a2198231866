/**
 * What a program says about itself: usage, summary, its option table, notes
 * and examples. From this one description come `--help` (wrapped to the
 * terminal), the man page and the flag reference in docs/configuration.md
 * (scripts/generate-docs.ts), so none of them can say something the option
 * table does not.
 */

import type { OptionSpec } from "./command-line.js";

export interface HelpExample {
  /** A command line as a user types it. */
  command: string;
  /** What it does, one short sentence. */
  what: string;
}

export interface HelpNote {
  /** A heading: "Signals", "Exit status". */
  title: string;
  /** Plain text; blank lines separate paragraphs. */
  text: string;
}

export interface ProgramHelp {
  name: string;
  /** One line: "timeserver [options]". */
  usage: string;
  /** What the program is, in a sentence or two. */
  summary: string;
  options: readonly OptionSpec[];
  /** Shown after the options, in this order. */
  notes: readonly HelpNote[];
  examples: readonly HelpExample[];
}

/** Where help text is wrapped when stdout is not a terminal (a pipe, a file, `man`'s own width aside). */
export const DEFAULT_HELP_COLUMNS = 80;
/** Below this, wrapping would leave a word or two per line: treat the terminal as this wide. */
const MIN_HELP_COLUMNS = 40;

/** The width to wrap help to: the terminal's, or 80 when stdout is not a terminal. */
export function helpColumns(stream: { isTTY?: boolean; columns?: number }): number {
  const columns = stream.isTTY === true ? stream.columns : undefined;
  if (columns === undefined || !Number.isFinite(columns)) return DEFAULT_HELP_COLUMNS;
  return Math.max(MIN_HELP_COLUMNS, Math.floor(columns));
}

/** The flag as --help and the man page show it: "-p, --port <port>". */
export function flagText(spec: OptionSpec): string {
  return `${spec.short ? `-${spec.short}, ` : ""}--${spec.name}${spec.value ? ` ${spec.value}` : ""}`;
}

/** The options in sections, in the order each section first appears in the table. */
export function optionSections(
  options: readonly OptionSpec[],
): { title: string; options: OptionSpec[] }[] {
  const sections: { title: string; options: OptionSpec[] }[] = [];
  for (const spec of options) {
    const title = spec.section ?? "Options";
    let section = sections.find((candidate) => candidate.title === title);
    if (section === undefined) {
      section = { title, options: [] };
      sections.push(section);
    }
    section.options.push(spec);
  }
  return sections;
}

/** `--help`'s text, no line longer than `columns` unless one word is. */
export function formatHelp(help: ProgramHelp, columns: number = DEFAULT_HELP_COLUMNS): string {
  const width = Math.max(MIN_HELP_COLUMNS, columns);
  const out: string[] = [`Usage: ${help.usage}`, ""];
  out.push(...wrapParagraphs(help.summary, width, ""), "");

  const flags = help.options.map((spec) => `  ${spec.short ? "" : "    "}${flagText(spec)}`);
  // The description column: after the longest flag, unless that leaves too
  // little room, in which case descriptions go on their own lines.
  const column = Math.max(...flags.map((flag) => flag.length)) + 2;
  const beside = width - column >= 30;
  const indent = beside ? column : 8;
  for (const section of optionSections(help.options)) {
    out.push(`${section.title}:`);
    for (const spec of section.options) {
      const flag = `  ${spec.short ? "" : "    "}${flagText(spec)}`;
      const body = wrap(describe(spec), width - indent);
      if (beside) {
        out.push(`${flag.padEnd(column)}${body[0] ?? ""}`.trimEnd());
        for (const line of body.slice(1)) out.push(" ".repeat(indent) + line);
      } else {
        out.push(flag);
        for (const line of body) out.push(" ".repeat(indent) + line);
      }
    }
    out.push("");
  }
  for (const note of help.notes) {
    out.push(`${note.title}:`, ...wrapParagraphs(note.text, width, "  "), "");
  }
  if (help.examples.length > 0) {
    out.push("Examples:");
    for (const example of help.examples) {
      out.push(...wrap(example.command, width - 2).map((line) => `  ${line}`));
      out.push(...wrap(example.what, width - 6).map((line) => `      ${line}`));
    }
    out.push("");
  }
  return `${out.join("\n").trimEnd()}\n`;
}

/** The option's help line: its description, then its default and variable. */
export function describe(spec: OptionSpec): string {
  const extra: string[] = [];
  if (spec.defaultText !== undefined) extra.push(`default: ${spec.defaultText}`);
  if (spec.env !== undefined) extra.push(`env: ${spec.env}`);
  return spec.description + (extra.length > 0 ? ` (${extra.join("; ")})` : "");
}

/** Paragraphs (separated by blank lines) wrapped and indented; single newlines are kept as breaks. */
function wrapParagraphs(text: string, width: number, indent: string): string[] {
  const out: string[] = [];
  for (const [index, paragraph] of text.split(/\n\s*\n/).entries()) {
    if (index > 0) out.push("");
    for (const line of paragraph.split("\n")) {
      // A line that starts with spaces is a term and its text ("  rr     TIME requests ..."):
      // the text wraps under itself.
      const term = /^(\s+\S+\s{2,})(.*)$/.exec(line);
      const lead = term?.[1]?.trimStart() ?? "";
      const parts = wrap(term?.[2] ?? line, width - indent.length - lead.length);
      parts.forEach((part, index) => {
        out.push(indent + (index === 0 ? lead : " ".repeat(lead.length)) + part);
      });
    }
  }
  return out;
}

/** Greedy word wrap at spaces; a word longer than the width gets a line of its own. */
export function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(/\s+/).filter((part) => part !== "")) {
    if (line === "") line = word;
    else if (line.length + 1 + word.length <= width) line += ` ${word}`;
    else {
      lines.push(line);
      line = word;
    }
  }
  if (line !== "") lines.push(line);
  return lines;
}
