/**
 * Everything `timeserver` can be told, from flags or environment variables,
 * validated into one typed object before anything starts. Each option is
 * declared once below: flag, variable, default, parser and help text.
 */

import { availableParallelism } from "node:os";
import { isKnownTimeZone } from "../clock/time-of-day.js";
import { TimeServerError } from "../errors.js";
import { LOG_FORMATS, type LogFormat } from "../logging/create-logger.js";
import { LOG_LEVELS, type LogLevel } from "../logging/levels.js";
import { type Cidr, parseCidrList } from "../policy/cidr.js";
import { UDP_GREETING_RATE } from "../policy/source-rate.js";
import { nativeMissing } from "../transport/native-binding.js";
import { TLS_HANDSHAKE_TIMEOUT_S, TLS_MAX_HANDSHAKES } from "../transport/tls-start.js";
import type { UdpBackendName } from "../transport/udp-backend.js";
import {
  type ConfigOption,
  type OptionSpec,
  option,
  type ProgramCommand,
  parseCommandLine,
  parseSwitch,
  readOptions,
  STANDARD_OPTIONS,
  standardCommand,
} from "./command-line.js";
import { DEFAULTS, LIMITS } from "./defaults.js";
import {
  configError,
  parseChoice,
  parseHost,
  parseInteger,
  parsePort,
  parseSeconds,
} from "./option-values.js";
import { checkPortClashes } from "./port-clashes.js";
import { formatHelp, type ProgramHelp } from "./program-help.js";
import { checkSystemTimeZone } from "./system-time-zone.js";

export interface ServerConfig {
  host: string;
  port: number;
  /** IANA zone, or undefined for the system zone. */
  timeZone: string | undefined;
  logLevel: LogLevel;
  logFormat: LogFormat;
  maxConnections: number;
  /** Seconds; 0 = off. */
  idleTimeout: number;
  maxLine: number;
  /** Server processes sharing the port; 1 runs the server in this process, without node:cluster. */
  workers: number;
  /** RFC 867 over TCP and UDP; undefined = off. */
  daytimePort: number | undefined;
  /** RFC 868 over TCP and UDP; undefined = off. */
  rfc868Port: number | undefined;
  /** SNTPv4 over UDP; undefined = off. */
  ntpPort: number | undefined;
  /** The stratum SNTP replies claim, 1–15. */
  ntpStratum: number;
  /** Serve SNTP with --ntp-stratum even when the kernel clock is unsynchronised (chrony's `local`). */
  local: boolean;
  /** How UDP datagrams come in and go out; auto = native when the module is built, else dgram. */
  udpBackend: "auto" | UdpBackendName;
  /**
   * Serve the UDP protocols from a thread of their own (their own event loop);
   * auto is decided at start (server/udp-thread-choice.ts), a runtime given
   * auto serves UDP on its own loop.
   */
  udpThread: "auto" | "on" | "off";
  /** Access rules, as CIDR text (kept as text so the config crosses IPC to workers). */
  allow: string[];
  deny: string[];
  /** Concurrent TCP connections per client address; 0 = no limit. */
  maxConnectionsPerIp: number;
  /** Requests per second per client address; 0 = no limit. */
  rateLimit: number;
  /** Requests a client address may make at once; 0 = the rate. */
  rateBurst: number;
  /** Require a PROXY protocol header on the line protocol's listeners. */
  proxyProtocol: boolean;
  trustedProxies: string[];
  /** The line protocol over TLS; undefined = off. */
  tlsPort: number | undefined;
  tlsCert: string | undefined;
  tlsKey: string | undefined;
  /** Seconds from accept for a TLS handshake to be done. */
  tlsHandshakeTimeout: number;
  /** TLS handshakes in progress at once per process; more are refused. */
  tlsMaxHandshakes: number;
  /** TLS connections per process; undefined = what fits the memory (memory-limit.ts). */
  tlsMaxConnections: number | undefined;
  /** Replies per second per source for daytime and RFC 868 over UDP; 0 = no bound. */
  udpGreetingRate: number;
  /** NTS Key Establishment (RFC 8915) over TLS 1.3; undefined = off. */
  ntsKePort: number | undefined;
  /** Where NTS clients should send NTP, when not this host's --ntp-port: host and optional port. */
  ntsNtpServer: { host: string; port: number | undefined } | undefined;
  /** The secret NTS cookie keys are derived from (0600); undefined = a random one per start. */
  ntsSecretFile: string | undefined;
  /**
   * Not an option: the random secret the primary makes when there is no
   * --nts-secret-file, hex, so that every --workers process shares it.
   */
  ntsSecret?: string;
  /** Prometheus /metrics, /healthz and /readyz over HTTP; undefined = off. */
  metricsPort: number | undefined;
  metricsHost: string;
}

export type ServerCommand = ProgramCommand<ServerConfig>;

/** auto, on or off, and a switch's spellings (1, true, yes; 0, false, no) as before auto existed. */
function parseUdpThread(source: string, raw: string): "auto" | "on" | "off" {
  const value = raw.trim().toLowerCase();
  if (value === "auto") return "auto";
  try {
    return parseSwitch(source, raw) ? "on" : "off";
  } catch {
    throw configError(source, raw, "must be auto, on or off");
  }
}

function parseUdpBackend(source: string, raw: string): "auto" | UdpBackendName {
  const value = parseChoice(source, raw, ["auto", "native", "dgram"] as const);
  const missing = value === "native" ? nativeMissing() : undefined;
  if (missing !== undefined) throw configError(source, raw, `is not available: ${missing}`);
  return value;
}

/** More processes than this only costs memory: each one is a whole Node runtime. */
const MAX_WORKERS = 256;

function parseWorkers(source: string, raw: string): number {
  const value = raw.trim().toLowerCase();
  if (value === "auto") return Math.min(availableParallelism(), MAX_WORKERS);
  const count = /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!(count >= 1 && count <= MAX_WORKERS)) {
    throw configError(source, raw, `must be a whole number from 1 to ${MAX_WORKERS}, or auto`);
  }
  return count;
}

function parseTimeZone(source: string, raw: string): string {
  const zone = raw.trim();
  if (!isKnownTimeZone(zone))
    throw configError(source, raw, "not a known time zone (use an IANA name such as Asia/Jakarta)");
  return zone;
}

/** A comma-separated list of CIDRs or addresses, each checked; kept as canonical text. */
function parseCidrs(source: string, raw: string): string[] {
  return parseCidrList(source, raw).map((cidr: Cidr) => cidr.toString());
}

function parseRate(source: string, raw: string): number {
  const trimmed = raw.trim();
  const value = /^\d+(\.\d+)?$/.test(trimmed) ? Number(trimmed) : Number.NaN;
  if (!(value >= 0 && value <= 1_000_000)) {
    throw configError(source, raw, "must be a number of requests per second from 0 to 1000000");
  }
  return value;
}

const optionalPort = (source: string, raw: string): number | undefined => parsePort(source, raw);

/** `host`, `host:port`, `[v6]` or `[v6]:port`. */
function parseHostPort(source: string, raw: string): { host: string; port: number | undefined } {
  const text = raw.trim();
  const match = /^(?:\[([^\]]+)\]|([^:\s[\]]+))(?::(\d+))?$/.exec(text);
  if (match === null || /^[^[]*:.*:/.test(text))
    throw configError(source, raw, "must be host, host:port or [IPv6]:port");
  const host = match[1] ?? match[2] ?? "";
  if (host.length > 255) throw configError(source, raw, "the host name is too long");
  return { host, port: match[3] === undefined ? undefined : parsePort(source, match[3], 1) };
}

export const SERVER_CONFIG_OPTIONS: readonly ConfigOption<ServerConfig>[] = [
  option<ServerConfig, "host">("host", {
    name: "host",
    section: "Listening",
    details:
      "An IPv4 or IPv6 address (`[::1]` also accepted) or a host name; `::` listens on IPv6, and on IPv4 too where the system allows.",
    env: "TIMESERVER_HOST",
    value: "<addr>",
    description: "address every listener binds; :: for IPv6",
    default: DEFAULTS.host,
    parse: parseHost,
  }),
  option<ServerConfig, "port">("port", {
    name: "port",
    section: "Listening",
    details: "With 0 the log says which port was picked, at every level but silent.",
    short: "p",
    env: "TIMESERVER_PORT",
    value: "<port>",
    description: "TCP port of the line protocol, 0-65535; 0 picks a free one",
    default: DEFAULTS.port,
    parse: (source, raw) => parsePort(source, raw),
  }),
  option<ServerConfig, "timeZone">("timeZone", {
    name: "tz",
    section: "Listening",
    details:
      "An IANA zone known to Node's ICU (`Asia/Jakarta`, `UTC`, `Etc/GMT-7`). Without it the system zone (`TZ`), checked at start-up: a `TZ` the server cannot apply as written stops it.",
    env: "TIMESERVER_TZ",
    value: "<zone>",
    description: "IANA time zone for replies, e.g. Asia/Jakarta",
    defaultText: "the system zone (honours TZ)",
    default: undefined,
    parse: parseTimeZone,
  }),
  option<ServerConfig, "logLevel">("logLevel", {
    name: "log-level",
    section: "Logging",
    env: "TIMESERVER_LOG_LEVEL",
    value: "<level>",
    description: `how much to log: ${LOG_LEVELS.join(", ")}`,
    default: "info",
    parse: (source, raw) => parseChoice(source, raw, LOG_LEVELS),
  }),
  option<ServerConfig, "logFormat">("logFormat", {
    name: "log-format",
    section: "Logging",
    details:
      "`json` writes one pino object per line: `level`, `time`, `pid`, `msg` and the event's fields.",
    env: "TIMESERVER_LOG_FORMAT",
    value: "<format>",
    description: "how log lines look: text or json (pino)",
    default: "text",
    parse: (source, raw) => parseChoice(source, raw, LOG_FORMATS),
  }),
  option<ServerConfig, "maxConnections">("maxConnections", {
    name: "max-connections",
    section: "Limits",
    details:
      "One more is closed as soon as it is accepted, with a warning (at most one a second, counting the rest). Kept below the open-file limit: when the limit leaves less room, the server serves what fits and says so.",
    env: "TIMESERVER_MAX_CONNECTIONS",
    value: "<n>",
    description: `TCP connections served at once per listener and worker, 1-${LIMITS.maxConnections}; more are closed on accept`,
    default: DEFAULTS.maxConnections,
    parse: (source, raw) => parseInteger(source, raw, 1, LIMITS.maxConnections),
  }),
  option<ServerConfig, "idleTimeout">("idleTimeout", {
    name: "idle-timeout",
    section: "Limits",
    details:
      "Never earlier and at most 250 ms later, measured on a monotonic clock from the last byte.",
    env: "TIMESERVER_IDLE_TIMEOUT",
    value: "<seconds>",
    description: `disconnect a client silent this long, 0-${LIMITS.idleTimeout}; 0 = never`,
    default: DEFAULTS.idleTimeout,
    parse: (source, raw) => parseInteger(source, raw, 0, LIMITS.idleTimeout),
  }),
  option<ServerConfig, "maxLine">("maxLine", {
    name: "max-line",
    section: "Limits",
    details: "Bytes before the LF; such a line first gets one `Invalid command`.",
    env: "TIMESERVER_MAX_LINE",
    value: "<bytes>",
    description: `longest request line, 5-${LIMITS.maxLine}; longer ones close the connection`,
    default: DEFAULTS.maxLine,
    parse: (source, raw) => parseInteger(source, raw, 5, LIMITS.maxLine),
  }),
  option<ServerConfig, "workers">("workers", {
    name: "workers",
    section: "Processes",
    details: "More than the available cores starts, with a warning. Limits apply per worker.",
    env: "TIMESERVER_WORKERS",
    value: "<n|auto>",
    description: `server processes sharing the ports, 1-${MAX_WORKERS}; auto = one per CPU`,
    default: 1,
    parse: parseWorkers,
  }),
  option<ServerConfig, "daytimePort">("daytimePort", {
    name: "daytime-port",
    section: "Standard protocols",
    env: "TIMESERVER_DAYTIME_PORT",
    value: "<port>",
    description: "serve RFC 867 daytime on this TCP and UDP port, 0-65535 (standard: 13)",
    defaultText: "off",
    default: undefined,
    parse: optionalPort,
  }),
  option<ServerConfig, "rfc868Port">("rfc868Port", {
    name: "rfc868-port",
    section: "Standard protocols",
    env: "TIMESERVER_RFC868_PORT",
    value: "<port>",
    description: "serve RFC 868 time on this TCP and UDP port, 0-65535 (standard: 37)",
    defaultText: "off",
    default: undefined,
    parse: optionalPort,
  }),
  option<ServerConfig, "ntpPort">("ntpPort", {
    name: "ntp-port",
    section: "Standard protocols",
    env: "TIMESERVER_NTP_PORT",
    value: "<port>",
    description: "serve SNTPv4 on this UDP port, 0-65535 (standard: 123)",
    defaultText: "off",
    default: undefined,
    parse: optionalPort,
  }),
  option<ServerConfig, "ntpStratum">("ntpStratum", {
    name: "ntp-stratum",
    section: "Standard protocols",
    details: "As chrony's `local stratum`, 10 by default.",
    env: "TIMESERVER_NTP_STRATUM",
    value: "<1-15>",
    description: "the stratum SNTP replies claim (rdate -n refuses 15)",
    default: DEFAULTS.ntpStratum,
    parse: (source, raw) => parseInteger(source, raw, 1, 15),
  }),
  option<ServerConfig, "local">("local", {
    name: "local",
    section: "Standard protocols",
    type: "boolean",
    env: "TIMESERVER_LOCAL",
    description:
      "serve SNTP as --ntp-stratum even when the kernel clock is unsynchronised or its state unknown (chrony's `local`); else such replies say LI 3, stratum 0",
    defaultText: "off",
    default: false,
    parse: parseSwitch,
  }),
  option<ServerConfig, "udpBackend">("udpBackend", {
    name: "udp-backend",
    section: "Standard protocols",
    env: "TIMESERVER_UDP_BACKEND",
    value: "<auto|native|dgram>",
    description:
      "UDP through the native module (kernel timestamps, batches) or Node's dgram; auto: native when built",
    default: "auto",
    parse: parseUdpBackend,
  }),
  option<ServerConfig, "udpThread">("udpThread", {
    name: "udp-thread",
    section: "Standard protocols",
    details:
      "The flag alone means on; as a variable also 1, true, yes or 0, false, no. auto: a thread when this process serves UDP beside TCP work (a listener or the metrics endpoint), has a second CPU (availableParallelism() >= 2), is not a --workers cluster (the workers already spread the load over cores; on is refused there) and has no --rate-limit (a thread keeps its own rate-limit table, so an address's UDP requests would get a bucket apart from its TCP ones; with on they do). Inherited UDP sockets (socket activation) are served from the thread too.",
    env: "TIMESERVER_UDP_THREAD",
    value: "<auto|on|off>",
    bare: "on",
    description:
      "serve daytime, RFC 868 and SNTP over UDP from a thread of their own, so TCP work never delays a datagram",
    default: "auto",
    parse: parseUdpThread,
  }),
  option<ServerConfig, "allow">("allow", {
    name: "allow",
    section: "Protection",
    details:
      "CIDRs or bare addresses (/32 or /128), comma-separated, IPv4 and IPv6. A flag replaces its variable's list.",
    env: "TIMESERVER_ALLOW",
    value: "<cidr,...>",
    multiple: true,
    description: "serve only these addresses (with any allow rule, the rest is denied); repeatable",
    defaultText: "everyone",
    default: [],
    parse: parseCidrs,
  }),
  option<ServerConfig, "deny">("deny", {
    name: "deny",
    section: "Protection",
    details:
      "CIDRs or bare addresses, comma-separated, IPv4 and IPv6; an IPv4-mapped peer matches IPv4 rules.",
    env: "TIMESERVER_DENY",
    value: "<cidr,...>",
    multiple: true,
    description:
      "refuse these addresses; the longest matching prefix wins, deny on a tie; repeatable",
    defaultText: "no one",
    default: [],
    parse: parseCidrs,
  }),
  option<ServerConfig, "maxConnectionsPerIp">("maxConnectionsPerIp", {
    name: "max-connections-per-ip",
    section: "Protection",
    details: "Counted over every TCP listener of the process (line, TLS, daytime, RFC 868).",
    env: "TIMESERVER_MAX_CONNECTIONS_PER_IP",
    value: "<n>",
    description: "TCP connections one address may hold at once, 0-1000000; 0 = no limit",
    default: 0,
    parse: (source, raw) => parseInteger(source, raw, 0, 1_000_000),
  }),
  option<ServerConfig, "rateLimit">("rateLimit", {
    name: "rate-limit",
    section: "Protection",
    details:
      "0-1000000, decimals allowed. One token bucket per address on a monotonic clock, shared by every protocol (with --udp-thread on, UDP keeps a bucket of its own; auto stays off under --rate-limit); each line-protocol line (invalid ones too), each daytime/RFC 868 TCP connection and each datagram spends a token.",
    env: "TIMESERVER_RATE_LIMIT",
    value: "<per-second>",
    description: "requests per second per address over every protocol; 0 = no limit",
    default: 0,
    parse: parseRate,
  }),
  option<ServerConfig, "rateBurst">("rateBurst", {
    name: "rate-burst",
    section: "Protection",
    details: "1-1000000; needs --rate-limit.",
    env: "TIMESERVER_RATE_BURST",
    value: "<n>",
    description: "requests one address may make at once before the rate applies",
    defaultText: "the rate",
    default: 0,
    parse: (source, raw) => parseInteger(source, raw, 1, 1_000_000),
  }),
  option<ServerConfig, "proxyProtocol">("proxyProtocol", {
    name: "proxy-protocol",
    section: "Behind a proxy",
    details:
      "v1 text or v2 binary, told apart by their signatures. A connection from outside --trusted-proxies, a malformed header, or no complete header within 3 s is closed with no byte sent. As a variable: 1, true, yes or on.",
    type: "boolean",
    env: "TIMESERVER_PROXY_PROTOCOL",
    description:
      "require a PROXY protocol v1/v2 header on the line protocol's port (behind HAProxy)",
    defaultText: "off",
    default: false,
    parse: parseSwitch,
  }),
  option<ServerConfig, "trustedProxies">("trustedProxies", {
    name: "trusted-proxies",
    section: "Behind a proxy",
    env: "TIMESERVER_TRUSTED_PROXIES",
    value: "<cidr,...>",
    multiple: true,
    description: "addresses a PROXY header is accepted from",
    default: ["127.0.0.0/8", "::1"],
    defaultText: "127.0.0.0/8,::1",
    parse: parseCidrs,
  }),
  option<ServerConfig, "tlsPort">("tlsPort", {
    name: "tls-port",
    section: "TLS",
    env: "TIMESERVER_TLS_PORT",
    value: "<port>",
    description:
      "serve the line protocol over TLS 1.2+ on this TCP port (needs --tls-cert, --tls-key)",
    defaultText: "off",
    default: undefined,
    parse: optionalPort,
  }),
  option<ServerConfig, "tlsCert">("tlsCert", {
    name: "tls-cert",
    section: "TLS",
    details:
      "A bad file at start: one line and exit 2; at SIGHUP: a warning, and the old certificate stays.",
    env: "TIMESERVER_TLS_CERT",
    value: "<pem>",
    description: "certificate chain (PEM) for --tls-port; re-read on SIGHUP",
    default: undefined,
    parse: (_source, raw) => raw,
  }),
  option<ServerConfig, "tlsKey">("tlsKey", {
    name: "tls-key",
    section: "TLS",
    env: "TIMESERVER_TLS_KEY",
    value: "<pem>",
    description: "private key (PEM) for --tls-port; re-read on SIGHUP",
    default: undefined,
    parse: (_source, raw) => raw,
  }),
  option<ServerConfig, "tlsHandshakeTimeout">("tlsHandshakeTimeout", {
    name: "tls-handshake-timeout",
    section: "TLS",
    env: "TIMESERVER_TLS_HANDSHAKE_TIMEOUT",
    value: "<seconds>",
    description:
      "close a TLS connection whose handshake is not done this long after accept, 0.1-3600",
    default: TLS_HANDSHAKE_TIMEOUT_S,
    parse: (source, raw) => parseSeconds(source, raw, 0.1, 3600),
  }),
  option<ServerConfig, "tlsMaxHandshakes">("tlsMaxHandshakes", {
    name: "tls-max-handshakes",
    section: "TLS",
    env: "TIMESERVER_TLS_MAX_HANDSHAKES",
    value: "<n>",
    description: "TLS handshakes in progress at once per process, 1-1000000; more are refused",
    default: TLS_MAX_HANDSHAKES,
    parse: (source, raw) => parseInteger(source, raw, 1, 1_000_000),
  }),
  option<ServerConfig, "tlsMaxConnections">("tlsMaxConnections", {
    name: "tls-max-connections",
    section: "TLS",
    env: "TIMESERVER_TLS_MAX_CONNECTIONS",
    value: "<n|auto>",
    description: `TLS connections per process, 1-${LIMITS.maxConnections}; auto = what fits the memory (cgroup limit or RAM), at most --max-connections`,
    defaultText: "auto",
    default: undefined,
    parse: (source, raw) =>
      raw.trim().toLowerCase() === "auto"
        ? undefined
        : parseInteger(source, raw, 1, LIMITS.maxConnections),
  }),
  option<ServerConfig, "udpGreetingRate">("udpGreetingRate", {
    name: "udp-greeting-rate",
    section: "Protection",
    env: "TIMESERVER_UDP_GREETING_RATE",
    value: "<per-second>",
    description:
      "daytime and RFC 868 replies over UDP per second per source address (they answer even an empty datagram: a reflector's bound); 0 = no bound",
    default: UDP_GREETING_RATE,
    parse: parseRate,
  }),
  option<ServerConfig, "ntsKePort">("ntsKePort", {
    name: "nts-ke-port",
    section: "Authenticated time (NTS)",
    env: "TIMESERVER_NTS_KE_PORT",
    value: "<port>",
    description:
      "serve NTS key exchange (RFC 8915, TLS 1.3) on this TCP port (standard: 4460; needs --tls-cert, --tls-key and --ntp-port or --nts-ntp-server)",
    defaultText: "off",
    default: undefined,
    parse: optionalPort,
  }),
  option<ServerConfig, "ntsNtpServer">("ntsNtpServer", {
    name: "nts-ntp-server",
    section: "Authenticated time (NTS)",
    env: "TIMESERVER_NTS_NTP_SERVER",
    value: "<host[:port]>",
    description: "tell NTS clients to send NTP there (another replica or address)",
    defaultText: "this host, --ntp-port",
    default: undefined,
    parse: parseHostPort,
  }),
  option<ServerConfig, "ntsSecretFile">("ntsSecretFile", {
    name: "nts-secret-file",
    section: "Authenticated time (NTS)",
    env: "TIMESERVER_NTS_SECRET_FILE",
    value: "<file>",
    description:
      "secret (32+ bytes, mode 0600) NTS cookie keys come from, shared by replicas; re-read on SIGHUP",
    defaultText: "random at start",
    default: undefined,
    parse: (_source, raw) => raw,
  }),
  option<ServerConfig, "metricsPort">("metricsPort", {
    name: "metrics-port",
    section: "Metrics and health",
    details: "With --workers the primary serves it, summing the workers' counters.",
    env: "TIMESERVER_METRICS_PORT",
    value: "<port>",
    description: "serve /metrics (Prometheus), /healthz and /readyz over HTTP on this port",
    defaultText: "off",
    default: undefined,
    parse: optionalPort,
  }),
  option<ServerConfig, "metricsHost">("metricsHost", {
    name: "metrics-host",
    section: "Metrics and health",
    details: "Not public unless asked.",
    env: "TIMESERVER_METRICS_HOST",
    value: "<addr>",
    description: "address the metrics endpoint binds",
    default: "127.0.0.1",
    parse: parseHost,
  }),
];

export const SERVER_OPTIONS: readonly OptionSpec[] = [
  ...SERVER_CONFIG_OPTIONS,
  ...STANDARD_OPTIONS,
];

export const SERVER_HELP: ProgramHelp = {
  name: "timeserver",
  usage: "timeserver [options]",
  summary:
    "A time server. Send TIME\\r\\n to get JAM hh:mm:ss\\r\\n; QUIT\\r\\n closes the connection. " +
    "With --daytime-port, --rfc868-port and --ntp-port it also serves RFC 867, RFC 868 and SNTPv4.",
  options: SERVER_OPTIONS,
  notes: [
    {
      title: "Environment",
      text:
        "Every option can also be set by its variable; a flag wins over its variable, and an empty variable counts as unset. " +
        "Numbers are decimal digits only. A protocol whose port is not given is off.",
    },
    {
      title: "Signals",
      text:
        "SIGTERM or SIGINT shuts down gracefully (a second one exits at once); " +
        "SIGHUP re-reads the TLS certificate and key and the NTS secret file; SIGUSR1 is ignored.",
    },
    {
      title: "Workers",
      text:
        "With --workers, each worker accepts connections itself; NODE_CLUSTER_SCHED_POLICY=rr " +
        "makes the primary accept them and hand them to the workers in turn.",
    },
    {
      title: "Exit status",
      text: "0 after a clean shutdown, 1 when the server cannot run (an address taken), 2 for bad flags, variables or files.",
    },
  ],
  examples: [
    {
      command: "timeserver --port 4000 --tz Asia/Jakarta",
      what: "the line protocol on port 4000, replies in Jakarta time",
    },
    {
      command: "timeserver --daytime-port 1013 --rfc868-port 1037 --ntp-port 1123",
      what: "also daytime, RFC 868 and SNTP, on unprivileged ports",
    },
    {
      command: "timeserver --rate-limit 10 --rate-burst 20 --deny 10.0.0.0/8",
      what: "10 requests a second per address, none from 10.0.0.0/8",
    },
    {
      command: "timeserver --tls-port 45443 --tls-cert cert.pem --tls-key key.pem",
      what: "the line protocol over TLS as well",
    },
    {
      command: "timeserver --workers auto --metrics-port 9464 --log-format json",
      what: "one process per core, Prometheus metrics on 127.0.0.1:9464, JSON logs",
    },
    {
      command: "TIMESERVER_PORT=4000 timeserver",
      what: "the port from its variable instead of a flag",
    },
  ],
};

/** `timeserver --help`, wrapped to `columns`. */
export function serverHelp(columns?: number): string {
  return formatHelp(SERVER_HELP, columns);
}

export function parseServerCommand(argv: readonly string[], env: NodeJS.ProcessEnv): ServerCommand {
  const parsed = parseCommandLine(SERVER_OPTIONS, argv, env);
  const standard = standardCommand(parsed, serverHelp);
  if (standard !== undefined) return standard;
  const config = readOptions(parsed, SERVER_CONFIG_OPTIONS);
  checkCombinations(config);
  if (config.timeZone === undefined) checkSystemTimeZone(env);
  return { kind: "run", config };
}

/**
 * Every option at its default, as the option table states it, with no flag
 * and no environment read: the library's starting point.
 */
export function defaultServerConfig(): ServerConfig {
  const config: Partial<Record<keyof ServerConfig, unknown>> = {};
  for (const spec of SERVER_CONFIG_OPTIONS) {
    config[spec.key] = Array.isArray(spec.default) ? [...spec.default] : spec.default;
  }
  return config as ServerConfig;
}

/** Options that only make sense together. */
function checkCombinations(config: ServerConfig): void {
  // The TLS listener's port is --tls-port or --nts-ke-port (NTS-KE runs over TLS).
  const port =
    config.tlsPort !== undefined
      ? "--tls-port"
      : config.ntsKePort !== undefined
        ? "--nts-ke-port"
        : undefined;
  const tls = [
    [port ?? "--tls-port (or --nts-ke-port)", port],
    ["--tls-cert", config.tlsCert],
    ["--tls-key", config.tlsKey],
  ] as const;
  const given = tls.filter(([, value]) => value !== undefined).map(([flag]) => flag);
  const missing = tls.filter(([, value]) => value === undefined).map(([flag]) => flag);
  if (given.length > 0 && missing.length > 0) {
    // Name what is missing: "--tls-cert needs --tls-port (or --nts-ke-port) and --tls-key".
    throw new TimeServerError(
      "TS_ERR_CONFIG",
      `${given.join(" and ")} ${given.length === 1 ? "needs" : "need"} ${missing.join(" and ")}`,
    );
  }
  if (
    config.ntsKePort !== undefined &&
    config.ntpPort === undefined &&
    config.ntsNtpServer === undefined
  ) {
    throw configError(
      "--nts-ke-port",
      String(config.ntsKePort),
      "needs --ntp-port, or --nts-ntp-server naming where NTP is served",
    );
  }
  checkPortClashes(config);
  if (config.rateBurst !== 0 && config.rateLimit === 0) {
    throw configError("--rate-burst", String(config.rateBurst), "needs --rate-limit");
  }
  // A worker thread is no cluster worker: it cannot share the cluster's sockets
  // (node:cluster's) nor bind beside them (SO_REUSEPORT is for cluster workers).
  if (config.udpThread === "on" && config.workers > 1) {
    throw new TimeServerError(
      "TS_ERR_CONFIG",
      "--udp-thread on cannot be used with --workers: the workers already spread UDP over the cores (leave it at auto or off)",
    );
  }
}
