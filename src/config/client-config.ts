/**
 * Everything `timeclient` can be told.
 */

import {
  type OptionSpec,
  optionValue,
  type ProgramCommand,
  parseCommandLine,
  STANDARD_OPTIONS,
  standardCommand,
} from "./command-line.js";
import { parseHost, parsePort, parseSeconds } from "./option-values.js";
import { formatHelp, type ProgramHelp } from "./program-help.js";

export interface ClientConfig {
  host: string;
  port: number;
  timeoutMs: number;
  /** Lines to send, from the command line; empty = read stdin (or prompt on a terminal). */
  commands: string[];
}

export type ClientCommand = ProgramCommand<ClientConfig>;

export const CLIENT_OPTIONS: readonly OptionSpec[] = [
  {
    name: "host",
    env: "TIMECLIENT_HOST",
    value: "<addr>",
    description: "server address",
    defaultText: "127.0.0.1",
  },
  {
    name: "port",
    short: "p",
    env: "TIMECLIENT_PORT",
    value: "<port>",
    description: "server port",
    defaultText: "45000",
  },
  {
    name: "timeout",
    env: "TIMECLIENT_TIMEOUT",
    value: "<seconds>",
    description: "give up on a connect or a reply after this long",
    defaultText: "10",
  },
  ...STANDARD_OPTIONS,
];

export const CLIENT_HELP: ProgramHelp = {
  name: "timeclient",
  usage: "timeclient [options] [COMMAND...]",
  summary:
    "Talks to a timeserver over the line protocol. Each COMMAND (e.g. TIME, QUIT) is sent as a line and its reply printed. " +
    'With no COMMAND, lines are read from stdin; on a terminal, at a ">> " prompt.',
  options: CLIENT_OPTIONS,
  notes: [
    {
      title: "Exit status",
      text:
        "0 when the server closed the connection, or when whatever reads the output stopped reading; " +
        "1 when the server cannot be reached or does not answer within --timeout; 2 for bad flags; " +
        "130 after Ctrl-C at the prompt.",
    },
  ],
  examples: [
    { command: "timeclient TIME QUIT", what: "ask the time once, then end the session" },
    {
      command: "timeclient --host time.example.org --port 45000",
      what: 'an interactive ">> " prompt on a terminal',
    },
    { command: "printf 'TIME\\nTIME\\n' | timeclient", what: "send the lines piped in" },
  ],
};

export function parseClientCommand(argv: readonly string[], env: NodeJS.ProcessEnv): ClientCommand {
  const parsed = parseCommandLine(CLIENT_OPTIONS, argv, env, { allowPositionals: true });
  const standard = standardCommand(parsed, (columns) => formatHelp(CLIENT_HELP, columns));
  if (standard !== undefined) return standard;
  return {
    kind: "run",
    config: {
      host: optionValue(parsed, "host", "127.0.0.1", parseHost),
      port: optionValue(parsed, "port", 45000, (source, raw) => parsePort(source, raw, 1)),
      timeoutMs:
        optionValue(parsed, "timeout", 10, (source, raw) =>
          parseSeconds(source, raw, 0.001, 3600),
        ) * 1000,
      commands: parsed.positionals,
    },
  };
}
