/**
 * NTS's series, beside the server's others (server-metrics.ts): key
 * exchanges by result, cookies issued, and NTS-protected NTP requests by
 * result. Asked for once at set-up, counted with a field increment.
 */

import type { Counter, CounterRegistry } from "./counters.js";

export function ntsKeHandshakeCounter(registry: CounterRegistry, result: string): Counter {
  return registry.counter(
    "timeserver_nts_ke_handshakes_total",
    "NTS key exchanges, by result: ok, or why the connection ended without cookies.",
    { result },
  );
}

export function ntsCookiesIssuedCounter(registry: CounterRegistry, via: "ke" | "ntp"): Counter {
  return registry.counter(
    "timeserver_nts_cookies_issued_total",
    "NTS cookies handed out, by the key exchange or in NTS-protected NTP replies.",
    { via },
  );
}

export function ntsRequestCounter(registry: CounterRegistry, result: string): Counter {
  return registry.counter(
    "timeserver_nts_requests_total",
    "NTS-protected NTP requests, by result: authenticated, nak, or why none was sent.",
    { result },
  );
}
