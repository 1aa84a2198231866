/**
 * The server's command line as its tests read it: the parsed config of a
 * run, or the one-line message of a configuration error.
 */

import assert from "node:assert/strict";
import { parseServerCommand, type ServerConfig } from "../../src/config/server-config.js";
import { TimeServerError } from "../../src/errors.js";

/** The config `argv` and `env` give; fails unless they ask for a run. */
export function parsedConfig(argv: string[], env: NodeJS.ProcessEnv = {}): ServerConfig {
  const command = parseServerCommand(argv, env);
  assert.equal(command.kind, "run");
  return (command as { config: ServerConfig }).config;
}

/** The message of the configuration error `argv` and `env` give; fails without one. */
export function failure(argv: string[], env: NodeJS.ProcessEnv = {}): string {
  try {
    parseServerCommand(argv, env);
  } catch (error) {
    assert.ok(error instanceof TimeServerError);
    assert.equal(error.code, "TS_ERR_CONFIG");
    return error.message;
  }
  return assert.fail("no error");
}
