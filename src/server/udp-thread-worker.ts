/**
 * The UDP thread's side of `--udp-thread` (udp-thread.ts): a ServerRuntime
 * that builds only the UDP listeners, with a logger of its own on the same
 * stdout. It reports listening (or why not), its counters when asked (a
 * scrape) and every second, and closes when told to.
 */

import { parentPort, workerData } from "node:worker_threads";
import { TimeServerError } from "../errors.js";
import { createLogger } from "../logging/create-logger.js";
import { ServerRuntime } from "./server-runtime.js";
import type { UdpThreadData, UdpThreadMessage, UdpThreadRequest } from "./udp-thread.js";

const REPORT_MS = 1000;

const port = parentPort;
if (port === null) throw new Error("udp-thread-worker runs only as a worker thread");
const { config, inherited } = workerData as UdpThreadData;
const send = (message: UdpThreadMessage) => port.postMessage(message);
const logger = createLogger({ level: config.logLevel, format: config.logFormat, shared: true });
const runtime = new ServerRuntime(config, logger, { inherited, only: "udp" });

runtime.listen().then(
  () => {
    const addresses = runtime.listeners.flatMap((listener) => listener.address() ?? []);
    send({ type: "listening", addresses });
    const timer = setInterval(
      () => send({ type: "counters", snapshot: runtime.snapshot() }),
      REPORT_MS,
    );
    port.on("message", (message: UdpThreadRequest) => {
      if (message.type === "report") {
        send({ type: "counters", snapshot: runtime.snapshot(), id: message.id });
        return;
      }
      if (message.type === "nts-secret") {
        runtime.useNtsSecret(Buffer.from(message.secret));
        send({ type: "done", id: message.id });
        return;
      }
      if (message.type !== "close") return;
      clearInterval(timer);
      runtime
        .close()
        .then(() => {
          send({ type: "counters", snapshot: runtime.snapshot() });
          return logger.close();
        })
        .finally(() => {
          send({ type: "closed" });
          port.close();
        });
    });
  },
  (error: unknown) => {
    const code = error instanceof TimeServerError ? error.code : "TS_ERR_LISTEN";
    const message = error instanceof Error ? error.message : String(error);
    send({ type: "failed", code, message });
    port.close();
  },
);
