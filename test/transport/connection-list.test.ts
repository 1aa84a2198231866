// The listener's live connections: the intrusive list must hold exactly what a
// Set would, through any mix of adds and deletes, and a walk must survive
// deletions made while it runs (the sweep closes and destroys as it goes).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import type { Connection } from "../../src/transport/connection.js";
import { ConnectionList } from "../../src/transport/connection-list.js";

function connections(n: number): Connection[] {
  return Array.from(
    { length: n },
    (_, id) =>
      ({ id, listed: false, prevLive: undefined, nextLive: undefined }) as unknown as Connection,
  );
}

describe("ConnectionList", () => {
  it("holds what a Set would hold through any sequence of adds and deletes", () => {
    const pool = connections(8);
    const operation = fc.record({ add: fc.boolean(), index: fc.integer({ min: 0, max: 7 }) });
    fc.assert(
      fc.property(fc.array(operation, { maxLength: 60 }), (operations) => {
        for (const c of pool)
          Object.assign(c, { listed: false, prevLive: undefined, nextLive: undefined });
        const list = new ConnectionList();
        const model = new Set<Connection>();
        for (const { add, index } of operations) {
          const connection = pool[index] as Connection;
          if (add) {
            list.add(connection);
            model.add(connection);
          } else {
            assert.equal(list.delete(connection), model.delete(connection));
          }
          assert.equal(list.size, model.size);
        }
        assert.deepEqual(new Set(list), model);
        assert.equal([...list].length, model.size, "no connection is walked twice");
      }),
    );
  });

  it("visits each connection still listed, once, while the walk deletes some of them", () => {
    const pool = connections(6);
    const list = new ConnectionList();
    for (const c of pool) list.add(c);
    const [c0, c1, c2, c3] = pool as [Connection, Connection, Connection, Connection];
    const seen: Connection[] = [];
    for (const connection of list) {
      seen.push(connection);
      list.delete(connection);
      // Visiting c3 (newest first: 5, 4, 3, …) also deletes c2, the next one, and c0.
      if (connection === c3) {
        list.delete(c2);
        list.delete(c0);
      }
    }
    assert.equal(list.size, 0);
    assert.deepEqual(
      seen.map((c) => pool.indexOf(c)),
      [5, 4, 3, 1],
    );
    assert.ok(!seen.includes(c2) && seen.includes(c1));
  });
});
