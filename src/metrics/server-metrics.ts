/**
 * The names of everything the server counts, in one place, as Prometheus
 * will show them. Layers ask for their series here once, at set-up.
 */

import type { Counter, CounterRegistry, Gauge } from "./counters.js";

export interface ListenerMetrics {
  accepted: Counter;
  active: Gauge;
  acceptErrors: Counter;
  /** By reason: limit, per-address-limit, acl, rate-limit, proxy-error. */
  refused(reason: string): Counter;
}

export function listenerMetrics(registry: CounterRegistry, protocol: string): ListenerMetrics {
  const refused = new Map<string, Counter>();
  return {
    accepted: registry.counter(
      "timeserver_connections_accepted_total",
      "TCP connections accepted and served.",
      { protocol },
    ),
    active: registry.gauge("timeserver_connections_active", "TCP connections open now.", {
      protocol,
    }),
    acceptErrors: registry.counter(
      "timeserver_accept_errors_total",
      "accept() failures reported to the server (descriptor exhaustion and the like).",
      { protocol },
    ),
    refused(reason) {
      let counter = refused.get(reason);
      if (counter === undefined) {
        counter = refusedCounter(registry, protocol, reason);
        refused.set(reason, counter);
      }
      return counter;
    },
  };
}

/** TCP connections refused by `protocol`'s listener for `reason`. */
export function refusedCounter(
  registry: CounterRegistry,
  protocol: string,
  reason: string,
): Counter {
  return registry.counter(
    "timeserver_connections_refused_total",
    "TCP connections closed at once, with no byte sent, by reason.",
    { protocol, reason },
  );
}

/** Requests by protocol, transport and result: time, quit, invalid, too-long; ok for the standard protocols. */
export function requestCounter(
  registry: CounterRegistry,
  protocol: string,
  transport: "tcp" | "udp",
  result: string,
): Counter {
  return registry.counter(
    "timeserver_requests_total",
    "Requests answered or refused, by protocol, transport and result.",
    { protocol, transport, result },
  );
}

/** Datagrams that got no reply, by protocol and reason. */
export function droppedCounter(
  registry: CounterRegistry,
  protocol: string,
  reason: string,
): Counter {
  return registry.counter(
    "timeserver_datagrams_dropped_total",
    "UDP datagrams that got no reply, by protocol and reason.",
    { protocol, reason },
  );
}

/**
 * Client input that made the server throw where it should not have: the
 * connection was closed or the datagram dropped, and the process went on.
 * Any count here is a bug to report.
 */
export function internalErrorCounter(
  registry: CounterRegistry,
  protocol: string,
  transport: "tcp" | "udp" | "http",
): Counter {
  return registry.counter(
    "timeserver_internal_errors_total",
    "Client connections closed or datagrams dropped because serving them threw (a bug to report).",
    { protocol, transport },
  );
}

/** TLS connections whose handshake missed its deadline, on one listener. */
export function handshakeTimeoutCounter(registry: CounterRegistry, protocol: string): Counter {
  return registry.counter(
    "timeserver_tls_handshake_timeouts_total",
    "TLS connections destroyed because their handshake was not done within --tls-handshake-timeout.",
    { protocol },
  );
}

export function byteCounters(
  registry: CounterRegistry,
  protocol: string,
  transport: "tcp" | "udp",
): { received: Counter; sent: Counter } {
  return {
    received: registry.counter("timeserver_received_bytes_total", "Bytes received from clients.", {
      protocol,
      transport,
    }),
    sent: sentBytesCounter(registry, protocol, transport),
  };
}

/** Bytes out alone, for a service that never reads what its clients send. */
export function sentBytesCounter(
  registry: CounterRegistry,
  protocol: string,
  transport: "tcp" | "udp",
): Counter {
  return registry.counter("timeserver_sent_bytes_total", "Bytes sent to clients.", {
    protocol,
    transport,
  });
}

/** What every serving process counts about itself, read at snapshot time. */
export function processCounters(
  registry: CounterRegistry,
  read: { droppedLogLines: () => number; clockSteps: () => number },
): void {
  registry.counterFunction(
    "timeserver_log_lines_dropped_total",
    "Log lines dropped because the reader of the log fell behind or went away.",
    {},
    read.droppedLogLines,
  );
  registry.counterFunction(
    "timeserver_clock_steps_total",
    "Wall-clock steps (settimeofday, resume) the precise clock noticed and recalibrated for; summed over workers, each of which notices the same step.",
    {},
    read.clockSteps,
  );
}
