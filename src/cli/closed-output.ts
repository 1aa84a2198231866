/**
 * A reader that stops reading is a normal end, not an error: `timeclient TIME
 * TIME | head -1` exits 0 without a word once `head` has what it wanted, as
 * it would had `head` read to the end. (A C tool dies of SIGPIPE there, status
 * 141, which `set -o pipefail` turns into a failed script; Node ignores
 * SIGPIPE and gets EPIPE, which would otherwise surface as "unexpected
 * error: write EPIPE".) Any other write error is still reported.
 */

/** Exit 0 at once when whoever reads `stream` has closed it; `onOtherError` gets the rest. */
export function exitQuietlyWhenClosed(
  stream: NodeJS.WriteStream,
  onOtherError: (error: Error) => void,
): void {
  stream.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code === "EPIPE") process.exit(0);
    onOtherError(error);
  });
}
