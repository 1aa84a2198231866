/**
 * One table per program describes its options; from it come parsing (flags
 * first, then environment variables), the `--help` text and error messages
 * that name where a bad value came from. Parsing itself is node:util's
 * parseArgs: no dependency for a job the runtime already does.
 */

import { parseArgs } from "node:util";
import { TimeServerError } from "../errors.js";

export interface OptionSpec {
  /** Long name without dashes: "max-line". */
  name: string;
  short?: string;
  /** A value-taking option unless "boolean". */
  type?: "string" | "boolean";
  /** Environment variable that sets it when the flag is absent. */
  env?: string;
  /** Placeholder in --help: "<seconds>". */
  value?: string;
  /** What a value-taking flag given alone means (`--udp-thread` is `--udp-thread on`). */
  bare?: string;
  description: string;
  /** Default, as shown in --help. */
  defaultText?: string;
  /** May be given several times; the values are joined with commas, as a variable would list them. */
  multiple?: boolean;
  /** The heading it is listed under in --help, the man page and docs/configuration.md. */
  section?: string;
  /** More than --help has room for: shown in the man page and docs/configuration.md. */
  details?: string;
}

/**
 * An option declared once: its flag, variable and help (the OptionSpec), the
 * config field it fills, its default and the parser that checks its value.
 */
export interface ConfigOption<C> extends OptionSpec {
  key: keyof C;
  default: unknown;
  parse: (source: string, raw: string) => unknown;
}

export function option<C, K extends keyof C>(
  key: K,
  spec: OptionSpec & { default: C[K]; parse: (source: string, raw: string) => C[K] },
): ConfigOption<C> {
  const defaultText =
    spec.defaultText ?? (spec.default === undefined ? undefined : String(spec.default));
  return { ...spec, key, defaultText };
}

/** A flag that is on when given (or when its variable is 1/true/yes/on). */
export function parseSwitch(source: string, raw: string): boolean {
  if (raw === "") return true;
  const value = raw.trim().toLowerCase();
  if (["1", "true", "yes", "on"].includes(value)) return true;
  if (["0", "false", "no", "off"].includes(value)) return false;
  throw new TimeServerError(
    "TS_ERR_CONFIG",
    `invalid ${source} ${JSON.stringify(raw)}: must be 1, true, yes, on, 0, false, no or off`,
  );
}

/** Every declared option's value: given, or its default. */
export function readOptions<C>(parsed: ParsedCommandLine, options: readonly ConfigOption<C>[]): C {
  const config: Partial<Record<keyof C, unknown>> = {};
  for (const spec of options) {
    config[spec.key] = optionValue(parsed, spec.name, spec.default, spec.parse);
  }
  return config as C;
}

/** What a program's command line asks for: a run with its config, or just help or the version. */
export type ProgramCommand<C> =
  | { kind: "run"; config: C }
  | { kind: "help"; format: (columns: number) => string }
  | { kind: "version" };

/** --help and --version, which every program has. */
export const STANDARD_OPTIONS: readonly OptionSpec[] = [
  {
    name: "help",
    short: "h",
    type: "boolean",
    section: "General",
    description: "show this help and exit",
  },
  {
    name: "version",
    short: "V",
    type: "boolean",
    section: "General",
    description: "show the version and exit",
  },
];

/** The answer to --help or --version when one was given, else undefined. */
export function standardCommand(
  parsed: ParsedCommandLine,
  help: (columns: number) => string,
): ProgramCommand<never> | undefined {
  if (parsed.values.get("help") === true) return { kind: "help", format: help };
  if (parsed.values.get("version") === true) return { kind: "version" };
  return undefined;
}

export interface ParsedCommandLine {
  /** The raw string (or true) for every option given by flag or environment. */
  values: Map<string, string | true>;
  /** Where each value came from, e.g. "--port" or "TIMESERVER_PORT", for messages. */
  sources: Map<string, string>;
  positionals: string[];
}

export function parseCommandLine(
  specs: readonly OptionSpec[],
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
  options: { allowPositionals?: boolean } = {},
): ParsedCommandLine {
  const config: Record<string, { type: "string" | "boolean"; short?: string; multiple?: boolean }> =
    {};
  for (const spec of specs) {
    config[spec.name] = {
      type: spec.type ?? "string",
      ...(spec.short ? { short: spec.short } : {}),
      ...(spec.multiple ? { multiple: true } : {}),
    };
  }
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: joinDashValues(specs, argv),
      options: config,
      strict: true,
      allowPositionals: options.allowPositionals ?? false,
    });
  } catch (error) {
    throw new TimeServerError("TS_ERR_CONFIG", describeParseError(error));
  }
  const values = new Map<string, string | true>();
  const sources = new Map<string, string>();
  for (const spec of specs) {
    const raw = parsed.values[spec.name];
    const given = Array.isArray(raw) ? (raw.length > 0 ? raw.join(",") : undefined) : raw;
    if (given !== undefined && given !== false) {
      values.set(spec.name, given);
      sources.set(spec.name, `--${spec.name}`);
    } else if (spec.env !== undefined && env[spec.env] !== undefined && env[spec.env] !== "") {
      values.set(spec.name, env[spec.env] as string);
      sources.set(spec.name, spec.env);
    }
  }
  return { values, sources, positionals: parsed.positionals };
}

/**
 * parseArgs refuses `--port -1` as ambiguous. A value that is not itself one of
 * our options is what the user meant, so pass it as `--port=-1` and let the
 * option's own check say what is wrong with it. A flag that may come alone
 * (`bare`) and is followed by none or by another flag gets its bare value.
 */
function joinDashValues(specs: readonly OptionSpec[], argv: readonly string[]): string[] {
  const known = new Set<string>();
  /** Each value-taking flag, long or short, to its long form. */
  const longForm = new Map<string, string>();
  /** Each flag that may come alone, to what it then means. */
  const bare = new Map<string, string>();
  for (const spec of specs) {
    for (const flag of spec.short ? [`--${spec.name}`, `-${spec.short}`] : [`--${spec.name}`]) {
      known.add(flag);
      if ((spec.type ?? "string") === "string") longForm.set(flag, `--${spec.name}`);
      if (spec.bare !== undefined) bare.set(flag, `--${spec.name}=${spec.bare}`);
    }
  }
  const args: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === "--") {
      args.push(...argv.slice(i));
      break;
    }
    const long = longForm.get(arg);
    const next = argv[i + 1];
    const alone = bare.get(arg);
    if (alone !== undefined && (next === undefined || next.startsWith("-"))) {
      args.push(alone);
    } else if (
      long !== undefined &&
      next?.startsWith("-") &&
      next !== "--" &&
      !known.has(next.split("=")[0] as string)
    ) {
      args.push(`${long}=${next}`);
      i++;
    } else {
      args.push(arg);
    }
  }
  return args;
}

function describeParseError(error: unknown): string {
  const code = (error as { code?: string }).code;
  const message = error instanceof Error ? error.message : String(error);
  const quoted = /'([^']+)'/.exec(message)?.[1] ?? "";
  const flag = /--?[\w-]+(?=[^,]*$)/.exec(quoted.replace(/ <value>$/, ""))?.[0] ?? quoted;
  switch (code) {
    case "ERR_PARSE_ARGS_UNKNOWN_OPTION":
      return `unknown option ${quoted} (see --help)`;
    case "ERR_PARSE_ARGS_INVALID_OPTION_VALUE":
      return message.includes("argument missing") || message.includes("ambiguous")
        ? `option ${flag} needs a value`
        : `option ${flag} takes no value`;
    case "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL":
      return `unexpected argument ${quoted} (see --help)`;
    default:
      return message;
  }
}

/** Read an option through `parse`, which is told where the value came from. */
export function optionValue<T>(
  parsed: ParsedCommandLine,
  name: string,
  fallback: T,
  parse: (source: string, raw: string) => T,
): T {
  const raw = parsed.values.get(name);
  if (raw === undefined) return fallback;
  return parse(parsed.sources.get(name) ?? `--${name}`, raw === true ? "" : raw);
}
