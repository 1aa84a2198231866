#!/usr/bin/env node
/**
 * `timeclient`: sends lines to a timeserver and prints the replies. Three ways
 * in: commands as arguments, lines piped on stdin, or a `>> ` prompt on a
 * terminal. All three end the same way: when the server closes the
 * connection, "Connection closed by server." and exit 0. Ctrl-C at the prompt
 * is the user's interrupt, not a close by the server: a newline, exit 130.
 * A close with no reply to a command other than QUIT is a failure (exit 1)
 * with a hint: that port does not speak the line protocol.
 */

import { readFileSync } from "node:fs";
import { createInterface } from "node:readline";
import { type ConnectOptions, LineConnection } from "../client/line-connection.js";
import { type ClientConfig, parseClientCommand } from "../config/client-config.js";
import { describeSystemError, TimeServerError } from "../errors.js";
import { escapeBytes } from "../logging/escape-bytes.js";
import { EXIT_INTERRUPTED, runProgram } from "./run-cli.js";

const CLOSED_MESSAGE = "Connection closed by server.\n";
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control bytes is the point
const CONTROL = /[\x00-\x08\x0b-\x1f\x7f]/;

runProgram("timeclient", parseClientCommand, async (config) => {
  const connection = await LineConnection.connect(connectOptions(config));
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

/** Where and how to connect; the --ca file is read here, so a bad path is one clear line. */
function connectOptions(config: ClientConfig): ConnectOptions {
  const { host, port, timeoutMs } = config;
  if (config.ca !== undefined && !config.tls) {
    throw new TimeServerError("TS_ERR_CONFIG", "--ca needs --tls");
  }
  if (!config.tls) return { host, port, timeoutMs };
  if (config.ca === undefined) return { host, port, timeoutMs, tls: {} };
  let ca: Buffer;
  try {
    ca = readFileSync(config.ca);
  } catch (error) {
    throw new TimeServerError(
      "TS_ERR_CONFIG",
      `cannot read --ca ${config.ca}: ${describeSystemError(error)}`,
    );
  }
  return { host, port, timeoutMs, tls: { ca } };
}

/**
 * The server closed instead of answering `line`: say so, and guess why from
 * what it did send. RFC 868 sends 4 binary bytes, daytime a line then close
 * (answered, so not here), a PROXY-protocol port and a TLS port close on a
 * plain TIME.
 */
function noReply(connection: LineConnection, line: string): TimeServerError {
  const { bytes } = connection.receivedSoFar;
  const what =
    bytes === 0
      ? "it closed the connection"
      : `it sent ${bytes} byte${bytes === 1 ? "" : "s"} that are not a line, then closed`;
  return new TimeServerError(
    "TS_ERR_CONNECT",
    `no reply to ${JSON.stringify(line)} from ${connection.address}: ${what}. Is it the line protocol's port? ` +
      "(an RFC 868 port answers 4 binary bytes; a --proxy-protocol port wants a PROXY header first; " +
      "a --tls-port wants timeclient --tls)",
  );
}

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
    if (reply === null) {
      // After QUIT the close is the answer; after anything else it is not.
      if (line !== "QUIT" && connection.error === undefined) throw noReply(connection, line);
      return;
    }
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
