/**
 * The secret NTS cookie keys are derived from: read from --nts-secret-file,
 * which must be readable by its owner alone (as ssh insists of a private
 * key), or else made at random at start. Anyone with the secret can open
 * every cookie and so read the session keys in it.
 */

import { randomBytes } from "node:crypto";
import { readFileSync, statSync } from "node:fs";
import { TimeServerError } from "../errors.js";
import { MIN_SECRET_LENGTH } from "../protocols/nts/cookies.js";

export function readNtsSecret(file: string): Buffer {
  let secret: Buffer;
  try {
    const mode = statSync(file).mode;
    if ((mode & 0o077) !== 0)
      throw new TimeServerError(
        "TS_ERR_CONFIG",
        `the NTS secret file ${file} is readable by others (mode ${(mode & 0o777).toString(8)}): chmod 600 it`,
      );
    secret = readFileSync(file);
  } catch (error) {
    if (error instanceof TimeServerError) throw error;
    throw new TimeServerError(
      "TS_ERR_CONFIG",
      `cannot read the NTS secret file ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
    );
  }
  // A trailing newline from `echo` or an editor is not part of the secret.
  let end = secret.length;
  while (end > 0 && (secret[end - 1] === 0x0a || secret[end - 1] === 0x0d)) end--;
  if (end < MIN_SECRET_LENGTH)
    throw new TimeServerError(
      "TS_ERR_CONFIG",
      `the NTS secret file ${file} holds ${end} bytes; at least ${MIN_SECRET_LENGTH} are needed (openssl rand -base64 48)`,
    );
  return secret.subarray(0, end);
}

/** A fresh random secret, hex, for a process (and its workers) without a secret file. */
export function randomNtsSecret(): string {
  return randomBytes(32).toString("hex");
}
