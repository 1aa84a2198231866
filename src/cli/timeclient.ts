#!/usr/bin/env node
/**
 * `timeclient`: sends lines to a timeserver and prints the replies. Three ways
 * in: commands as arguments, lines piped on stdin, or a `>> ` prompt on a
 * terminal. All three end the same way: when the server closes the
 * connection, "Connection closed by server." and exit 0. Ctrl-C at the prompt
 * is the user's interrupt, not a close by the server: a newline, exit 130.
 */

import { createInterface } from "node:readline";
import { LineConnection } from "../client/line-connection.js";
import { parseClientCommand } from "../config/client-config.js";
import { escapeBytes } from "../logging/escape-bytes.js";
import { EXIT_INTERRUPTED, runProgram } from "./run-cli.js";

const CLOSED_MESSAGE = "Connection closed by server.\n";
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control bytes is the point
const CONTROL = /[\x00-\x08\x0b-\x1f\x7f]/;

runProgram("timeclient", parseClientCommand, async (config) => {
  const connection = await LineConnection.connect(config);
  try {
    if (config.commands.length > 0) {
      await runLines(connection, config.commands, printReply);
    } else if (process.stdin.isTTY) {
      await runPrompt(connection);
    } else {
      await runLines(connection, createInterface({ input: process.stdin }), printReply);
    }
  } finally {
    connection.destroy();
    process.stdin.destroy();
  }
  if (connection.error !== undefined) throw connection.error;
  process.stdout.write(CLOSED_MESSAGE);
});

/** A reply as the user should see it: a hostile server's control bytes are escaped. */
function printReply(reply: string, trailer = "\n"): void {
  const shown = CONTROL.test(reply) ? escapeBytes(Buffer.from(reply), 4096) : reply;
  process.stdout.write(shown + trailer);
}

/**
 * Send each line and print its reply, one at a time. When the lines run out
 * with the connection still open, half-close it: the server then closes, and
 * any reply still on its way is printed first.
 */
async function runLines(
  connection: LineConnection,
  lines: Iterable<string> | AsyncIterable<string>,
  print: (reply: string) => void,
): Promise<void> {
  for await (const line of lines) {
    connection.send(line);
    const reply = await connection.nextLine();
    if (reply === null) return;
    print(reply);
  }
  connection.finish();
  for (
    let reply = await connection.nextLine();
    reply !== null;
    reply = await connection.nextLine()
  ) {
    print(reply);
  }
}

/** The original exercise's interactive client: a `>> ` prompt, the reply, a blank line. */
async function runPrompt(connection: LineConnection): Promise<void> {
  const prompt = createInterface({ input: process.stdin, output: process.stdout, prompt: ">> " });
  let atPrompt = false;
  connection.onClose(() => {
    // The server closed while the user was typing (idle timeout, shutdown).
    if (atPrompt) process.stdout.write("\n");
    prompt.close();
  });
  // On a terminal readline turns Ctrl-C into this event instead of a signal;
  // left alone it would end the input like Ctrl-D, and the server's close
  // that follows would be reported as if the server had ended the session.
  prompt.on("SIGINT", () => {
    process.stdout.write("\n");
    prompt.close();
    connection.destroy();
    process.exit(EXIT_INTERRUPTED);
  });
  const lines = (async function* () {
    atPrompt = true;
    prompt.prompt();
    for await (const line of prompt) {
      atPrompt = false;
      yield line;
      atPrompt = true;
      prompt.prompt();
    }
  })();
  await runLines(connection, lines, (reply) => printReply(reply, "\n\n"));
  prompt.close();
}
