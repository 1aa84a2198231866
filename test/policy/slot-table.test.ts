/**
 * The fixed-slot table against a model written apart from it: per bucket, a
 * list of keys in the order they were last seen, at most `ways` long; a new
 * key evicts the head of its bucket's list only when that list is full. Any
 * sequence of touches keeps the size within the capacity, finds every key
 * the model holds in the same slot it was given, forgets exactly the keys
 * the model forgets, and counts every eviction.
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { SlotTable } from "../../src/policy/slot-table.js";

const addresses = fc.oneof(
  fc.ipV4(),
  fc.ipV6(),
  fc.ipV4().map((v4) => `::ffff:${v4}`),
  fc.integer({ min: 0, max: 40 }).map((i) => `192.0.2.${i}`),
);

describe("SlotTable", () => {
  it("stays within its capacity and replaces exactly the least recently seen key of a full bucket", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 70 }),
        fc.array(addresses, { minLength: 1, maxLength: 400 }),
        (asked, touches) => {
          const table = new SlotTable(asked);
          assert.ok(table.capacity <= asked && table.capacity >= 1);
          const key = (a: string) => (a.startsWith("::ffff:") && a.includes(".") ? a.slice(7) : a);
          const model = new Map<number, string[]>();
          const slotOf = new Map<string, number>();
          let evictions = 0;
          for (const address of touches) {
            const k = key(address);
            const bucket = table.bucketOf(address);
            const seen = model.get(bucket) ?? [];
            model.set(bucket, seen);
            const at = seen.indexOf(k);
            if (at >= 0) seen.splice(at, 1);
            else if (seen.length === table.ways) {
              const gone = seen.shift() as string;
              slotOf.delete(gone);
              evictions++;
            }
            seen.push(k);
            const slot = table.touch(address);
            assert.equal(table.created, at < 0);
            if (at >= 0) assert.equal(slot, slotOf.get(k), "a known key keeps its slot");
            slotOf.set(k, slot);
            assert.ok(table.size <= table.capacity);
          }
          assert.equal(table.evictions, evictions);
          assert.equal(table.size, slotOf.size);
          for (const [k, slot] of slotOf) assert.equal(table.find(k), slot);
          for (const address of touches)
            if (!slotOf.has(key(address))) assert.equal(table.find(address), -1);
        },
      ),
    );
  });

  it("keys an IPv4-mapped address as its dotted quad", () => {
    const table = new SlotTable(64);
    const slot = table.touch("192.0.2.7");
    assert.equal(table.touch("::ffff:192.0.2.7"), slot);
    assert.equal(table.created, false);
    assert.equal(table.size, 1);
  });

  it("holds 65,536 slots under 2 million distinct addresses, every bucket full, the rest evictions", () => {
    const table = new SlotTable(65_536);
    for (let i = 0; i < 2_000_000; i++) {
      table.touch(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
      if (i % 4096 === 0) assert.ok(table.size <= 65_536);
    }
    assert.equal(table.size, 65_536);
    assert.equal(table.evictions, 2_000_000 - 65_536);
  });

  it("sweeps only the slots asked, and refuses a capacity below 1", () => {
    const table = new SlotTable(16);
    const a = table.touch("a");
    table.touch("b");
    assert.equal(
      table.sweep((slot) => slot === a),
      1,
    );
    assert.equal(table.find("a"), -1);
    assert.notEqual(table.find("b"), -1);
    assert.equal(table.size, 1);
    assert.throws(() => new SlotTable(0), RangeError);
  });
});
