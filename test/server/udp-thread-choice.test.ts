import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { InheritedSocket } from "../../src/config/inherited-sockets.js";
import { defaultServerConfig, type ServerConfig } from "../../src/config/server-config.js";
import { udpThreadChosen } from "../../src/server/udp-thread-choice.js";

const serving = (changes: Partial<ServerConfig> = {}): ServerConfig => ({
  ...defaultServerConfig(),
  ntpPort: 123,
  ...changes,
});

describe("--udp-thread auto", () => {
  it("is a thread for one process serving UDP beside the line protocol, with two CPUs", () => {
    assert.equal(udpThreadChosen(serving(), [], 2), true);
    assert.equal(udpThreadChosen(serving({ daytimePort: 13, ntpPort: undefined }), [], 64), true);
  });

  it("is none on one CPU, in a --workers cluster, or with --rate-limit (one bucket per address)", () => {
    assert.equal(udpThreadChosen(serving(), [], 1), false);
    assert.equal(udpThreadChosen(serving({ workers: 2 }), [], 8), false);
    assert.equal(udpThreadChosen(serving({ rateLimit: 5 }), [], 8), false);
  });

  it("is none without UDP, or with nothing on TCP for UDP to wait behind", () => {
    assert.equal(udpThreadChosen(serving({ ntpPort: undefined }), [], 8), false);
    const udpOnly: InheritedSocket[] = [{ fd: 3, name: "ntp", kind: "datagram" }];
    // Under socket activation the line port stays closed unless handed over.
    assert.equal(udpThreadChosen(serving({ ntpPort: undefined }), udpOnly, 8), false);
    assert.equal(
      udpThreadChosen(serving({ ntpPort: undefined, metricsPort: 0 }), udpOnly, 8),
      true,
    );
  });

  it("serves inherited UDP sockets from the thread too", () => {
    const sockets: InheritedSocket[] = [
      { fd: 3, name: "line", kind: "stream" },
      { fd: 4, name: "ntp", kind: "datagram" },
    ];
    assert.equal(udpThreadChosen(serving({ ntpPort: undefined }), sockets, 2), true);
  });

  it("leaves on and off as given, whatever the process", () => {
    assert.equal(
      udpThreadChosen(serving({ udpThread: "on", workers: 4, rateLimit: 5 }), [], 1),
      true,
    );
    assert.equal(udpThreadChosen(serving({ udpThread: "off" }), [], 8), false);
  });
});
