// The bench plan: which servers each load runs against, and that scaling is
// measured only where every server core has a generator core of its own.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  casesFor,
  parseArgs,
  pinningFor,
  type Settings,
  workersPlan,
} from "../../bench/runner/plan.js";

const settings: Settings = {
  durationSeconds: 5,
  warmupSeconds: 1,
  holdSeconds: 5,
  holdConnections: 15000,
  repeat: 3,
  loads: ["rr"],
};
const pin = pinningFor(2, true);

describe("bench plan", () => {
  it("refuses to measure workers scaling on 2 cores and says why", () => {
    const plan = workersPlan(2, true);
    assert.deepEqual(plan.counts, []);
    assert.match(plan.note, /cannot measure scaling honestly on 2 cores/);
    assert.deepEqual(casesFor("workers", settings, pin, plan), []);
  });

  it("scales workers 1, 2, 4 on 8 cores, each server core with its own generator core", () => {
    const plan = workersPlan(8, true);
    assert.deepEqual(plan.counts, [1, 2, 4]);
    const cases = casesFor("workers", settings, pin, plan);
    const four = cases.filter((c) => c.workers === 4);
    assert.deepEqual(
      four.map((c) => c.variant),
      ["C 4 threads", "timeserver 4 workers"],
    );
    for (const c of four) {
      assert.equal(c.server.cpus, "0,1,2,3");
      assert.deepEqual(c.traffic.cpus, ["4", "5", "6", "7"]);
    }
    assert.equal(four[0]?.server.threads, 4);
  });

  it("runs the C reference, the naive peer and timeserver under the same load generator", () => {
    for (const load of ["rr", "pipelined", "churn", "hold"] as const) {
      const cases = casesFor(load, settings, pin, workersPlan(2, true));
      assert.deepEqual(
        cases.map((c) => [c.variant, c.role, c.server.kind, c.traffic.generator]),
        [
          ["C", "reference", "c", "loadgen"],
          ["naive Node", "peer", "naive", "loadgen"],
          ["timeserver", "subject", "node", "loadgen"],
        ],
      );
    }
  });

  it("runs every UDP service against the C reference, the naive peer, batched C and timeserver", () => {
    const cases = casesFor("udp", settings, pin, workersPlan(2, true));
    for (const workload of ["udp-sntp", "udp-rfc868", "udp-daytime"]) {
      assert.deepEqual(
        cases.filter((c) => c.workload === workload).map((c) => [c.variant, c.role, c.server.kind]),
        [
          ["C", "reference", "c-udp"],
          ["naive Node", "peer", "naive-udp"],
          ["C --mmsg", "context", "c-udp"],
          ["timeserver", "subject", "node"],
        ],
      );
    }
  });

  it("puts the server on core 0 and one generator on each spare core, at most three", () => {
    assert.deepEqual(pinningFor(2, true), { server: "0", generators: ["1"] });
    assert.deepEqual(pinningFor(4, true), { server: "0", generators: ["1", "2", "3"] });
    assert.deepEqual(pinningFor(16, true).generators, ["1", "2", "3"]);
    assert.deepEqual(pinningFor(4, false), { server: undefined, generators: [] });
  });

  it("splits a load's connections among the generator processes", () => {
    const four = pinningFor(4, true);
    const [rr] = casesFor("rr", settings, four, workersPlan(4, true));
    assert.deepEqual(rr?.traffic.cpus, ["1", "2", "3"]);
    assert.equal(rr?.traffic.connections, 34);
    const [hold] = casesFor("hold", settings, four, workersPlan(4, true));
    assert.equal(hold?.traffic.connections, 5000);
    const [one] = casesFor("rr", settings, pin, workersPlan(2, true));
    assert.deepEqual(one?.traffic.cpus, ["1"]);
    assert.equal(one?.traffic.connections, 100);
  });

  it("measures what one timebench process drives with one process of each generator", () => {
    const cases = casesFor("timebench", settings, pinningFor(4, true), workersPlan(4, true));
    for (const c of cases) {
      assert.deepEqual(c.traffic.cpus, ["1"]);
      assert.equal(c.traffic.connections, 100);
    }
  });

  it("drives timebench only in its own row, against the C reference", () => {
    const cases = casesFor("timebench", settings, pin, workersPlan(2, true));
    assert.deepEqual(
      cases.map((c) => [c.server.kind, c.traffic.generator]),
      [
        ["c", "loadgen"],
        ["c", "timebench"],
      ],
    );
  });

  it("leaves workers out of the default loads", () => {
    const parsed = parseArgs([], {});
    assert.equal(parsed.kind, "run");
    if (parsed.kind === "run") assert.ok(!parsed.settings.loads.includes("workers"));
  });
});
