/**
 * The flag reference in docs/configuration.md and the man pages in man/,
 * rendered from each program's ProgramHelp (its option table, notes and
 * examples), the same description `--help` is made from. Pure: text in, text
 * out; generate-docs.ts writes the files and the tests compare them.
 */

import type { OptionSpec } from "../src/config/command-line.js";
import {
  flagText,
  type HelpNote,
  optionSections,
  type ProgramHelp,
} from "../src/config/program-help.js";

/** One program as the generated files describe it. */
export interface ReferenceProgram {
  help: ProgramHelp;
  /** The man page's NAME line, after "name \-". */
  tagline: string;
}

/** The generated region of a Markdown file is the text between these two lines. */
export function startMarker(id: string): string {
  return `<!-- generated:${id} (from the option table by \`npm run docs\`; edit the table, not this) -->`;
}
export const END_MARKER = "<!-- /generated -->";

/** `doc` with the region `id` replaced by `body`; throws when the markers are missing. */
export function replaceGenerated(doc: string, id: string, body: string): string {
  const start = doc.indexOf(`<!-- generated:${id} `);
  const end = start < 0 ? -1 : doc.indexOf(END_MARKER, start);
  if (start < 0 || end < 0) throw new Error(`no generated region "${id}" in the document`);
  return `${doc.slice(0, start)}${startMarker(id)}\n${body}${doc.slice(end)}`;
}

/** The options of one program as Markdown tables, one per section. */
export function markdownOptions(help: ProgramHelp): string {
  const out: string[] = [];
  for (const section of optionSections(help.options)) {
    out.push(`### ${help.name}: ${section.title}`, "");
    out.push("| flag | variable | default | what it does |", "|---|---|---|---|");
    for (const spec of section.options) {
      const cells = [
        code(flagText(spec)),
        spec.env === undefined ? "" : code(spec.env),
        spec.defaultText === undefined ? "" : defaultCell(spec.defaultText),
        cell(sentence(spec.description) + (spec.details ? ` ${spec.details}` : "")),
      ];
      out.push(`| ${cells.join(" | ")} |`);
    }
    out.push("");
  }
  return out.join("\n");
}

/** A man page (man(7) macros) for one program. */
export function manPage(program: ReferenceProgram, seeAlso: readonly string[]): string {
  const { help } = program;
  const out: string[] = [
    `.\\" Generated from the option table by \`npm run docs\` (scripts/generate-docs.ts); do not edit.`,
    `.TH ${help.name.toUpperCase()} 1 "" "${help.name}" "User Commands"`,
    // Flags and variable names must not be hyphenated or spread out.
    ".hy 0",
    ".ad l",
    ".SH NAME",
    `${help.name} \\- ${roff(program.tagline)}`,
    ".SH SYNOPSIS",
    `.B ${help.name}`,
    roff(help.usage.slice(help.name.length).trim()),
    ".SH DESCRIPTION",
    ...roffParagraphs(help.summary),
  ];
  out.push(".SH OPTIONS");
  for (const section of optionSections(help.options)) {
    out.push(`.SS ${roff(section.title)}`);
    for (const spec of section.options) {
      out.push(".TP", manFlag(spec));
      const extra: string[] = [];
      if (spec.defaultText !== undefined) extra.push(`Default: ${spec.defaultText}.`);
      if (spec.env !== undefined) extra.push(`Environment: \`${spec.env}\`.`);
      const text = [sentence(spec.description), spec.details, ...extra].filter(Boolean).join(" ");
      out.push(roffLine(text));
    }
  }
  const environment = help.options.filter((spec) => spec.env !== undefined);
  const envNote = help.notes.find((note) => note.title === "Environment");
  if (environment.length > 0 || envNote !== undefined) {
    out.push(".SH ENVIRONMENT");
    if (envNote !== undefined) out.push(...roffParagraphs(envNote.text));
    for (const spec of environment) {
      out.push(".TP", `.B ${spec.env}`, roffLine(`As \`--${spec.name}\`.`));
    }
  }
  for (const note of help.notes) {
    if (note !== envNote) out.push(...roffNote(note));
  }
  if (help.examples.length > 0) {
    out.push(".SH EXAMPLES");
    for (const example of help.examples) {
      out.push(".TP", `\\fB${roff(example.command)}\\fR`, roffLine(sentence(example.what)));
    }
  }
  if (seeAlso.length > 0) {
    out.push(".SH SEE ALSO", seeAlso.map((name) => `.BR ${name} (1)`).join(",\n"));
    out.push(".PP", "The documentation in the source tree's docs/ folder.");
  }
  return `${out.join("\n")}\n`;
}

function manFlag(spec: OptionSpec): string {
  const flags = [spec.short ? `\\fB\\-${spec.short}\\fR` : "", `\\fB\\-\\-${roff(spec.name)}\\fR`]
    .filter(Boolean)
    .join(", ");
  return spec.value ? `${flags} \\fI${roff(spec.value)}\\fR` : flags;
}

function roffNote(note: HelpNote): string[] {
  return [`.SH ${roff(note.title.toUpperCase())}`, ...roffParagraphs(note.text)];
}

/** Paragraphs as .PP blocks; lines that start with spaces are kept as they are (.nf). */
function roffParagraphs(text: string): string[] {
  const out: string[] = [];
  for (const [index, paragraph] of text.split(/\n\s*\n/).entries()) {
    if (index > 0) out.push(".PP");
    const lines = paragraph.split("\n");
    if (lines.every((line) => /^\s/.test(line))) {
      out.push(".nf", ...lines.map((line) => roff(line.replace(/^ {2}/, ""))), ".fi");
    } else {
      out.push(roffLine(lines.join(" ")));
    }
  }
  return out;
}

/** Text for a roff line: escaped, `code` in bold, never starting with a control character. */
function roffLine(text: string): string {
  return roff(text).replace(/`([^`]+)`/g, "\\fB$1\\fR");
}

/** Escape roff's backslash, hyphens (so flags copy as ASCII) and a leading dot or quote. */
function roff(text: string): string {
  const escaped = text.replace(/\\/g, "\\e").replace(/-/g, "\\-");
  return /^[.']/.test(escaped) ? `\\&${escaped}` : escaped;
}

function code(text: string): string {
  return `\`${text.replace(/\|/g, "\\|")}\``;
}

function defaultCell(text: string): string {
  // Plain values are code; prose defaults ("the system zone", "off") are not.
  return /^[\w.:/,-]+$/.test(text) && !/^(off|everyone|no one)$/.test(text)
    ? code(text)
    : cell(text);
}

function cell(text: string): string {
  return text.replace(/\|/g, "\\|").replace(/\n/g, " ");
}

/** Ending in a full stop, so the details that follow read as the next sentence. */
function sentence(text: string): string {
  const trimmed = text.trim();
  return /[.!?]$/.test(trimmed) ? trimmed : `${trimmed}.`;
}
