/**
 * A service behind real loopback listeners on port 0, with the test's clock
 * and counters, closed when the test ends: service tests go through real
 * sockets without starting the program.
 */

import type { AddressInfo } from "node:net";
import type { Clock } from "../../src/clock/clock.js";
import type { CounterRegistry } from "../../src/metrics/counters.js";
import { TcpListener, type TcpService } from "../../src/transport/tcp-listener.js";
import { UdpListener, type UdpService } from "../../src/transport/udp-listener.js";

interface Cleanup {
  after(fn: () => unknown): void;
}

export async function udpListenerFor(
  t: Cleanup,
  service: UdpService,
  clock: Clock,
  counters: CounterRegistry,
): Promise<AddressInfo> {
  const listener = new UdpListener({ service, host: "127.0.0.1", port: 0, clock, counters });
  const address = await listener.listen();
  t.after(() => listener.close());
  return address;
}

export async function tcpListenerFor(
  t: Cleanup,
  service: TcpService,
  clock: Clock,
  counters: CounterRegistry,
): Promise<AddressInfo> {
  const listener = new TcpListener({
    service,
    host: "127.0.0.1",
    port: 0,
    maxConnections: 16,
    idleTimeoutMs: 0,
    closeGraceMs: 1000,
    clock,
    counters,
  });
  const address = await listener.listen();
  t.after(() => listener.close());
  return address;
}
