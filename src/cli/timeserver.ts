#!/usr/bin/env node
/**
 * `timeserver`: flags → config → logger → one server process, or with
 * --workers N > 1 a cluster primary. The same file, forked by node:cluster,
 * runs each worker. All behaviour lives in the library.
 */

import cluster from "node:cluster";
import { availableParallelism } from "node:os";
import { setFlagsFromString } from "node:v8";
import { runClusterPrimary } from "../cluster/primary-process.js";
import { KEEPER_ROLE, KEEPER_ROLE_VARIABLE, runSocketKeeper } from "../cluster/socket-keeper.js";
import { runClusterWorker } from "../cluster/worker-process.js";
import { inheritedSockets } from "../config/inherited-sockets.js";
import { parseServerCommand } from "../config/server-config.js";
import { createLogger } from "../logging/create-logger.js";
import * as log from "../logging/log-events.js";
import { SILENT_LOGGER } from "../logging/logger.js";
import { randomNtsSecret } from "../server/nts-secret.js";
import { installProcessSignals } from "../server/process-signals.js";
import { runServerProcess } from "../server/server-process.js";
import { udpThreadChosen } from "../server/udp-thread-choice.js";
import { notifyEnvironment } from "../systemd/notify-environment.js";
import { NO_NOTIFIER, SystemdNotifier } from "../systemd/service-notifier.js";
import { runCli, runProgram } from "./run-cli.js";

// First of all: until these listeners exist, SIGUSR1 opens Node's inspector
// and SIGHUP kills the process. Logged once the logger exists.
installProcessSignals(SILENT_LOGGER);

// Keep V8's young generation at its initial size. A burst of thousands of
// connects otherwise grows it to 32 MB that stays resident while those
// connections sit idle: measured here, 15,000 idle connections cost 3.2 KB
// each with growth and 2.5 KB without, and request loads allocate too little
// per request for the smaller young generation to matter.
setFlagsFromString("--semi-space-growth-factor=1");

if (cluster.isWorker && process.env[KEEPER_ROLE_VARIABLE] === KEEPER_ROLE) {
  runSocketKeeper();
} else if (cluster.isWorker) {
  // Options come from the primary, already checked.
  runCli("timeserver", async () => runClusterWorker());
} else {
  runProgram("timeserver", parseServerCommand, async (config) => {
    // Sockets systemd handed over (socket activation); the variables are unset at
    // once. Workers listen on the same fds: node:cluster shares this process's sockets.
    const inherited = inheritedSockets(process.env, process.pid);
    // Type=notify: NOTIFY_SOCKET and the watchdog are this process's alone, unset for the workers.
    const notify = notifyEnvironment(process.env, process.pid);
    // --udp-thread auto, decided here once: the workers and the runtime get on or off.
    const udpThread = udpThreadChosen(config, inherited, availableParallelism());
    const logger = createLogger({
      level: config.logLevel,
      format: config.logFormat,
      shared: udpThread,
    });
    const notifier = notify === undefined ? NO_NOTIFIER : new SystemdNotifier(notify, logger);
    // A reload, told to systemd (Type=notify-reload waits for READY=1 after RELOADING=1).
    const reloadWith = (reload: () => void | Promise<void>) => () => {
      notifier.reloading();
      void Promise.resolve(reload()).then(() => notifier.ready());
    };
    installProcessSignals(logger);
    // Without a secret file every worker (and the --udp-thread thread) must
    // still open the others' NTS cookies: one random secret, made here.
    const shared = {
      ...config,
      udpThread: udpThread ? ("on" as const) : ("off" as const),
      ...(config.ntsSecretFile === undefined ? { ntsSecret: randomNtsSecret() } : {}),
    };
    if (config.workers > 1) {
      const cores = availableParallelism();
      if (config.workers > cores) log.workersOverCores(logger, config.workers, cores);
      await runClusterPrimary(
        shared,
        logger,
        (reload) => installProcessSignals(logger, { onHangup: reloadWith(reload) }),
        { inherited, notifier },
      );
    } else {
      await runServerProcess(shared, logger, {
        inherited,
        notifier,
        onRuntime: (runtime) =>
          installProcessSignals(logger, { onHangup: reloadWith(() => runtime.reload()) }),
      });
    }
  });
}
