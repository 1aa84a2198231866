/**
 * The frame every program runs in: a bad flag or an unreachable server ends
 * in one line on stderr and a non-zero exit, never a stack trace.
 */

import type { ProgramCommand } from "../config/command-line.js";
import { helpColumns } from "../config/program-help.js";
import { TimeServerError } from "../errors.js";
import { packageVersion } from "../version.js";
import { exitQuietlyWhenClosed } from "./closed-output.js";

/** Exit codes: 1 for runtime failures, 2 for bad usage (as most Unix tools). */
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;
/** Ended by Ctrl-C: 128 + SIGINT, the status a shell gives a program that SIGINT killed. */
export const EXIT_INTERRUPTED = 130;

export function reportFailure(program: string, error: unknown): void {
  const message =
    error instanceof TimeServerError
      ? error.message
      : `unexpected error: ${error instanceof Error ? error.message : String(error)}`;
  process.stderr.write(`${program}: ${message}\n`);
  process.exitCode =
    error instanceof TimeServerError && error.code === "TS_ERR_CONFIG" ? EXIT_USAGE : EXIT_FAILURE;
}

export function runCli(program: string, main: () => Promise<void>): void {
  const fail = (error: unknown) => {
    reportFailure(program, error);
    process.exit();
  };
  process.on("uncaughtException", fail);
  exitQuietlyWhenClosed(process.stdout, fail);
  main().catch((error: unknown) => reportFailure(program, error));
}

/** Parse the command line, answer --help and --version, or run with the config. */
export function runProgram<C>(
  program: string,
  parse: (argv: readonly string[], env: NodeJS.ProcessEnv) => ProgramCommand<C>,
  run: (config: C) => Promise<void>,
): void {
  runCli(program, async () => {
    const command = parse(process.argv.slice(2), process.env);
    if (command.kind === "help") process.stdout.write(command.format(helpColumns(process.stdout)));
    else if (command.kind === "version") process.stdout.write(`${program} ${packageVersion()}\n`);
    else await run(command.config);
  });
}
