/**
 * What the TLS listener's default limit is made of: the memory cgroup's
 * limit as the process sees it (v1 or v2, mounted at its own cgroup or at
 * an ancestor, "max" and v1's huge number meaning none), and the connections
 * that fit in it.
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  cgroupMemoryLimit,
  PROCESS_RESERVE_BYTES,
  TLS_CONNECTION_BYTES,
  tlsConnectionsThatFit,
} from "../../src/transport/memory-limit.js";

const MiB = 2 ** 20;

function files(entries: Record<string, string>) {
  return (path: string) => entries[path];
}

describe("cgroupMemoryLimit", () => {
  it("reads v1's memory.limit_in_bytes of the process's own cgroup, mounted whole or at an ancestor", () => {
    const membership = "4:memory:/kube/pod1/c1\n0::/\n";
    assert.equal(
      cgroupMemoryLimit(
        files({
          "/proc/self/cgroup": membership,
          "/sys/fs/cgroup/memory/kube/pod1/c1/memory.limit_in_bytes": "268435456\n",
        }),
      ),
      256 * MiB,
    );
    assert.equal(
      cgroupMemoryLimit(
        files({
          "/proc/self/cgroup": membership,
          "/sys/fs/cgroup/memory/c1/memory.limit_in_bytes": "134217728\n",
          "/sys/fs/cgroup/memory/memory.limit_in_bytes": "9223372036854771712\n",
        }),
      ),
      128 * MiB,
    );
  });

  it("reads v2's memory.max; max, v1's huge number and nothing readable mean no limit", () => {
    assert.equal(
      cgroupMemoryLimit(
        files({
          "/proc/self/cgroup": "0::/system.slice/timeserver.service\n",
          "/sys/fs/cgroup/system.slice/timeserver.service/memory.max": "536870912\n",
        }),
      ),
      512 * MiB,
    );
    assert.equal(
      cgroupMemoryLimit(
        files({ "/proc/self/cgroup": "0::/\n", "/sys/fs/cgroup/memory.max": "max\n" }),
      ),
      undefined,
    );
    assert.equal(
      cgroupMemoryLimit(
        files({
          "/proc/self/cgroup": "4:memory:/\n",
          "/sys/fs/cgroup/memory/memory.limit_in_bytes": "9223372036854771712\n",
        }),
      ),
      undefined,
    );
    assert.equal(cgroupMemoryLimit(files({})), undefined);
  });
});

describe("tlsConnectionsThatFit", () => {
  it("the memory less the reserve and the handshakes, per connection; shared among workers; within 1..max", () => {
    assert.equal(tlsConnectionsThatFit(256 * MiB, 1, 512, 10_000), 4224);
    assert.equal(
      tlsConnectionsThatFit(256 * MiB, 1, 0, 10_000),
      (256 * MiB - PROCESS_RESERVE_BYTES) / TLS_CONNECTION_BYTES,
    );
    assert.equal(tlsConnectionsThatFit(4096 * MiB, 1, 512, 10_000), 10_000);
    assert.equal(tlsConnectionsThatFit(1024 * MiB, 4, 512, 10_000), 4224, "a quarter each");
    assert.equal(tlsConnectionsThatFit(64 * MiB, 1, 512, 10_000), 1);
  });
});
