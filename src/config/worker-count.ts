/**
 * How many workers make sense on this machine. Any count up to the hard limit
 * is accepted everywhere, since one configuration may be deployed to machines
 * of different sizes; but workers beyond one per core only add memory (each
 * is a whole Node runtime) and context switches, so start-up says so.
 */

/** The warning for `workers` on `cores` available cores, or undefined when it fits. */
export function workerCountWarning(workers: number, cores: number): string | undefined {
  if (workers <= cores) return undefined;
  return (
    `Running ${workers} workers on ${cores} available CPU core${cores === 1 ? "" : "s"}: ` +
    `workers beyond one per core add memory and context switches, not throughput ` +
    `(--workers auto starts ${cores})`
  );
}
