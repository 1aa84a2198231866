import assert from "node:assert/strict";
import { availableParallelism } from "node:os";
import { describe, it } from "node:test";
import { parseServerCommand, type ServerConfig } from "../../src/config/server-config.js";
import { failure, parsedConfig } from "./parse-server.js";

const SEED_OPTIONS = [
  "host",
  "port",
  "timeZone",
  "logLevel",
  "logFormat",
  "maxConnections",
  "idleTimeout",
  "maxLine",
  "workers",
] as const satisfies readonly (keyof ServerConfig)[];

/** The line protocol's options of the config: the later protocols and policies have tests of their own. */
function config(argv: string[], env: NodeJS.ProcessEnv = {}): Partial<ServerConfig> {
  const full = parsedConfig(argv, env);
  return Object.fromEntries(SEED_OPTIONS.map((key) => [key, full[key]]));
}

describe("server configuration", () => {
  it("defaults to the original exercise's address and the issue's limits", () => {
    assert.deepEqual(config([]), {
      host: "0.0.0.0",
      port: 45000,
      timeZone: undefined,
      logLevel: "info",
      logFormat: "text",
      maxConnections: 10000,
      idleTimeout: 300,
      maxLine: 1024,
      workers: 1,
    });
  });

  it("reads every option from its flag", () => {
    const parsed = config([
      "--host",
      "::1",
      "--port",
      "0",
      "--tz",
      "Asia/Jakarta",
      "--log-level",
      "debug",
      "--log-format",
      "json",
      "--max-connections",
      "5",
      "--idle-timeout",
      "0",
      "--max-line",
      "64",
      "--workers",
      "3",
    ]);
    assert.deepEqual(parsed, {
      host: "::1",
      port: 0,
      timeZone: "Asia/Jakarta",
      logLevel: "debug",
      logFormat: "json",
      maxConnections: 5,
      idleTimeout: 0,
      maxLine: 64,
      workers: 3,
    });
  });

  it("reads options from the environment, and a flag wins over its variable", () => {
    const env = {
      TIMESERVER_PORT: "4000",
      TIMESERVER_TZ: "UTC",
      TIMESERVER_MAX_LINE: "16",
      TIMESERVER_LOG_LEVEL: "warn",
    };
    const parsed = config(["--port", "5000"], env);
    assert.equal(parsed.port, 5000);
    assert.equal(parsed.timeZone, "UTC");
    assert.equal(parsed.maxLine, 16);
    assert.equal(parsed.logLevel, "warn");
  });

  it("takes --workers as a count or auto (one per CPU), from the flag or TIMESERVER_WORKERS", () => {
    assert.equal(config(["--workers", "1"]).workers, 1);
    assert.equal(config(["--workers", "256"]).workers, 256);
    assert.equal(config(["--workers", "auto"]).workers, availableParallelism());
    assert.equal(config([], { TIMESERVER_WORKERS: "AUTO" }).workers, availableParallelism());
    assert.equal(config(["--workers", "2"], { TIMESERVER_WORKERS: "4" }).workers, 2);
    for (const bad of ["0", "x", "-1", "257", "1.5", "2x", ""]) {
      assert.match(
        failure(["--workers", bad]),
        /^invalid --workers ".*": must be a whole number from 1 to 256, or auto$/,
        bad,
      );
    }
    assert.match(failure([], { TIMESERVER_WORKERS: "many" }), /TIMESERVER_WORKERS "many"/);
  });

  it("names the bad value and where it came from", () => {
    assert.match(failure(["--port", "abc"]), /--port "abc".*0 to 65535/);
    assert.match(failure(["--port", "65536"]), /--port/);
    assert.match(failure(["--port", "-1"]), /--port/);
    assert.match(failure(["--port", "1e3"]), /--port/);
    assert.match(failure([], { TIMESERVER_PORT: "x" }), /TIMESERVER_PORT "x"/);
    assert.match(failure(["--tz", "Mars/Olympus"]), /time zone/);
    assert.match(failure(["--log-level", "loud"]), /trace, debug, info, warn, error, silent/);
    assert.match(failure(["--log-format", "xml"]), /text, json/);
    assert.match(failure(["--max-connections", "0"]), /--max-connections/);
    assert.match(failure(["--max-line", "4"]), /--max-line/);
    assert.match(failure(["--bogus"]), /unknown option --bogus/);
    assert.match(failure(["--port"]), /option --port needs a value/);
    assert.match(failure(["extra"]), /unexpected argument extra/);
  });

  it("names the TLS flags that are missing, whichever are given", () => {
    assert.equal(
      failure(["--tls-cert", "c.pem"]),
      "--tls-cert needs --tls-port (or --nts-ke-port) and --tls-key",
    );
    assert.equal(failure(["--tls-port", "4443"]), "--tls-port needs --tls-cert and --tls-key");
    assert.equal(
      failure(["--tls-cert", "c.pem", "--tls-key", "k.pem"]),
      "--tls-cert and --tls-key need --tls-port (or --nts-ke-port)",
    );
  });

  it("refuses two protocols on one port before binding, naming both flags", () => {
    assert.equal(
      failure(["--port", "4000", "--daytime-port", "4000"]),
      "--port and --daytime-port both ask for TCP port 4000: give each its own port",
    );
    assert.equal(
      failure(["--port", "4001", "--daytime-port", "4000", "--ntp-port", "4000"]),
      "--daytime-port and --ntp-port both ask for UDP port 4000: give each its own port",
    );
    // The metrics port on 127.0.0.1 clashes with a protocol on every address (0.0.0.0).
    assert.equal(
      failure(["--metrics-port", "45000"]),
      "--port and --metrics-port both ask for TCP port 45000: give each its own port",
    );
    // TCP and UDP on one number is no clash, nor are two different specific addresses, nor port 0.
    for (const args of [
      ["--port", "4000", "--ntp-port", "4000"],
      ["--host", "127.0.0.1", "--metrics-host", "127.0.0.2", "--metrics-port", "45000"],
      ["--port", "0", "--daytime-port", "0", "--rfc868-port", "0"],
    ]) {
      assert.equal(parseServerCommand(args, {}).kind, "run", args.join(" "));
    }
  });

  it("answers --help and --version without starting", () => {
    const help = parseServerCommand(["--help"], {});
    assert.equal(help.kind, "help");
    for (const flag of [
      "--host",
      "--port",
      "--tz",
      "--log-level",
      "--log-format",
      "--max-connections",
      "--idle-timeout",
      "--max-line",
      "--workers",
    ]) {
      assert.ok((help as { format: (columns: number) => string }).format(80).includes(flag), flag);
    }
    assert.equal(parseServerCommand(["-V"], {}).kind, "version");
  });
});
