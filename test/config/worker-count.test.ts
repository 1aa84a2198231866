import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { workerCountWarning } from "../../src/config/worker-count.js";

describe("workerCountWarning", () => {
  it("says nothing while there is a core for every worker", () => {
    assert.equal(workerCountWarning(1, 1), undefined);
    assert.equal(workerCountWarning(2, 2), undefined);
    assert.equal(workerCountWarning(4, 64), undefined);
  });

  it("warns past one worker per core, naming both counts and what auto would start", () => {
    assert.equal(
      workerCountWarning(256, 2),
      "Running 256 workers on 2 available CPU cores: workers beyond one per core add memory and context switches, not throughput (--workers auto starts 2)",
    );
    assert.match(workerCountWarning(2, 1) ?? "", /^Running 2 workers on 1 available CPU core: /);
  });
});
