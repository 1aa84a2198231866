import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { AddressTable } from "../../src/policy/address-table.js";

describe("AddressTable", () => {
  it("makes a record once per key and returns the same one after", () => {
    let made = 0;
    const table = new AddressTable(4, (key) => ({ key, n: ++made }));
    const a = table.touch("a");
    assert.equal(table.touch("a"), a);
    assert.equal(made, 1);
    assert.equal(table.peek("b"), undefined);
    assert.equal(table.size, 1);
  });

  it("forgets the least recently seen key at the cap, and counts it", () => {
    const table = new AddressTable(3, (key) => key);
    table.touch("a");
    table.touch("b");
    table.touch("c");
    table.touch("a"); // a is now the most recently seen; b the least
    table.touch("d");
    assert.deepEqual([...table.keys()], ["c", "a", "d"]);
    assert.equal(table.evictions, 1);
    assert.equal(table.peek("b"), undefined);
  });

  it("peek does not count as seeing a key", () => {
    const table = new AddressTable(2, (key) => key);
    table.touch("a");
    table.touch("b");
    table.peek("a");
    table.touch("c");
    assert.deepEqual([...table.keys()], ["b", "c"]);
  });

  it("stays within its cap under 200,000 distinct keys", () => {
    const table = new AddressTable(65_536, () => ({}));
    let largest = 0;
    for (let i = 0; i < 200_000; i++) {
      table.touch(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
      if (table.size > largest) largest = table.size;
    }
    assert.equal(largest, 65_536);
    assert.equal(table.evictions, 200_000 - 65_536);
  });

  it("sweeps idle records oldest first and stops at the first that matters", () => {
    const table = new AddressTable(10, (key) => ({ key, idle: true }));
    for (const key of ["a", "b", "c", "d"]) table.touch(key);
    table.touch("c").idle = false;
    table.touch("a").idle = false; // order now: b, d, c, a
    assert.equal(
      table.sweep((r) => r.idle),
      2,
    );
    assert.deepEqual([...table.keys()], ["c", "a"]);
    assert.equal(table.evictions, 0);
  });

  it("keeps the same keys in the same order as a plain array model, whatever the operations", () => {
    const op = fc.oneof(
      fc.tuple(fc.constant("touch" as const), fc.integer({ min: 0, max: 12 })),
      fc.tuple(fc.constant("delete" as const), fc.integer({ min: 0, max: 12 })),
      fc.tuple(fc.constant("sweep" as const), fc.integer({ min: 0, max: 12 })),
    );
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 6 }), fc.array(op, { maxLength: 200 }), (cap, ops) => {
        const table = new AddressTable(cap, (key) => key);
        let model: string[] = [];
        let evictions = 0;
        for (const [kind, n] of ops) {
          const key = `k${n}`;
          if (kind === "touch") {
            table.touch(key);
            if (model.includes(key)) model = model.filter((k) => k !== key);
            else if (model.length === cap) {
              model.shift();
              evictions++;
            }
            model.push(key);
          } else if (kind === "delete") {
            table.delete(key);
            model = model.filter((k) => k !== key);
          } else {
            // Sweep keys numbered below n, oldest first, stopping at the first other one.
            table.sweep((k) => Number(k.slice(1)) < n);
            while (model.length > 0 && Number((model[0] as string).slice(1)) < n) model.shift();
          }
          assert.deepEqual([...table.keys()], model);
          assert.equal(table.evictions, evictions);
        }
      }),
      { numRuns: 1000 },
    );
  });

  it("refuses a cap below one", () => {
    assert.throws(() => new AddressTable(0, () => 1), RangeError);
  });
});
