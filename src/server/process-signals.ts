/**
 * The signals a long-running server must outlive. Node gives two of them a
 * meaning nobody running a server asked for: SIGUSR1 opens the inspector (a
 * debugger that runs any code it is sent, on 127.0.0.1:9229) and SIGHUP ends
 * the process with status 129. A JavaScript listener replaces Node's own
 * handling of either, so these listeners are the whole fix: a debugger belongs
 * to an explicit `node --inspect`, and SIGHUP waits until a reload gives it a
 * job.
 */

import type { Logger } from "../logging/logger.js";

export interface ProcessSignalOptions {
  /** What SIGHUP does (a reload); without it SIGHUP is logged and ignored. */
  onHangup?: () => void;
}

export const SIGUSR1_IGNORED =
  "Received SIGUSR1; ignored (the inspector is off; start with node --inspect to debug)";
export const SIGHUP_IGNORED = "Received SIGHUP; nothing to reload";

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
  const usr1 = () => {
    if (logger.warnOn) logger.warn(SIGUSR1_IGNORED, { event: "signal-ignored", signal: "SIGUSR1" });
  };
  const { onHangup } = options;
  const hup = () => {
    if (onHangup !== undefined) {
      if (logger.infoOn)
        logger.info("Received SIGHUP; reloading", { event: "reload", signal: "SIGHUP" });
      onHangup();
    } else if (logger.infoOn) {
      logger.info(SIGHUP_IGNORED, { event: "signal-ignored", signal: "SIGHUP" });
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
