/**
 * The signals a long-running server must outlive. Node gives two of them a
 * meaning nobody running a server asked for: SIGUSR1 opens the inspector (a
 * debugger that runs any code it is sent, on 127.0.0.1:9229) and SIGHUP ends
 * the process with status 129. A JavaScript listener replaces Node's own
 * handling of either, so these listeners are the whole fix: a debugger belongs
 * to an explicit `node --inspect`, and SIGHUP waits until a reload gives it a
 * job.
 */

import * as log from "../logging/log-events.js";
import type { Logger } from "../logging/logger.js";

export interface ProcessSignalOptions {
  /** What SIGHUP does (a reload); without it SIGHUP is logged and ignored. */
  onHangup?: () => void;
}

let current: { usr1: () => void; hup: () => void } | undefined;

/**
 * Install the SIGUSR1 and SIGHUP listeners, replacing any this function
 * installed before: call it as early as possible with a silent logger (Node
 * opens the inspector on any SIGUSR1 that arrives before a listener exists),
 * then again once the real logger exists. The new listeners go in before the
 * old ones come out, because with none left Node kills the process on either
 * signal.
 */
export function installProcessSignals(logger: Logger, options: ProcessSignalOptions = {}): void {
  const usr1 = () => log.sigusr1Ignored(logger);
  const { onHangup } = options;
  const hup = () => {
    if (onHangup !== undefined) {
      log.reloading(logger);
      onHangup();
    } else {
      log.sighupIgnored(logger);
    }
  };
  process.on("SIGUSR1", usr1);
  process.on("SIGHUP", hup);
  if (current !== undefined) {
    process.off("SIGUSR1", current.usr1);
    process.off("SIGHUP", current.hup);
  }
  current = { usr1, hup };
}
