/**
 * --max-connections-per-ip over real sockets: the address's (N+1)-th
 * concurrent connection is closed at once with no byte sent, its first N and
 * every other address go on being served, and a slot is free again once one
 * of its connections has closed.
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { startListeners } from "../helpers/listener-ports.js";
import { bytesBeforeClose, connectFrom } from "../helpers/source-clients.js";
import { TIME_REPLY } from "../helpers/wire-client.js";

describe("--max-connections-per-ip", () => {
  it("closes the 3rd connection of one address with no byte; its first two and another address are served", async (t) => {
    const { server } = await startListeners(t, ["--max-connections-per-ip", "2"]);
    const first = await connectFrom(t, server.port, "127.0.0.9");
    const second = await connectFrom(t, server.port, "127.0.0.9");
    // Both are admitted (a reply proves it) before the third is tried.
    for (const client of [first, second]) {
      assert.match((await client.request("TIME\r\n", 14)).toString("latin1"), TIME_REPLY);
    }

    const third = await connectFrom(t, server.port, "127.0.0.9");
    const thirdPort = third.socket.localPort;
    third.send("TIME\r\n");
    assert.equal(await bytesBeforeClose(third), 0);
    await server.waitForLine(
      new RegExp(`Per-address connection limit reached: refused 127\\.0\\.0\\.9:${thirdPort}$`),
    );

    // The first two are unaffected, and so is another address.
    for (const client of [first, second]) {
      assert.match((await client.request("TIME\r\n", 14)).toString("latin1"), TIME_REPLY);
    }
    const other = await connectFrom(t, server.port, "127.0.0.10");
    assert.match((await other.request("TIME\r\n", 14)).toString("latin1"), TIME_REPLY);

    // Once the server has seen one of the two close, the address has a slot again.
    const firstPort = first.socket.localPort;
    first.send("QUIT\r\n");
    await first.waitForClose();
    await server.waitForLine(new RegExp(`Connection closed from 127\\.0\\.0\\.9:${firstPort}$`));
    const again = await connectFrom(t, server.port, "127.0.0.9");
    assert.match((await again.request("TIME\r\n", 14)).toString("latin1"), TIME_REPLY);
  });

  it("counts an address's connections across every TCP listener: daytime refused while it holds a line connection", async (t) => {
    const { server, ports } = await startListeners(t, [
      "--max-connections-per-ip",
      "1",
      "--daytime-port",
      "0",
    ]);
    const held = await connectFrom(t, server.port, "127.0.0.11");
    assert.match((await held.request("TIME\r\n", 14)).toString("latin1"), TIME_REPLY);
    const refused = await connectFrom(t, ports.daytime!, "127.0.0.11");
    assert.equal(await bytesBeforeClose(refused), 0);
    const other = await connectFrom(t, ports.daytime!, "127.0.0.12");
    assert.ok((await other.waitForClose()).length > 0, "another address gets its daytime line");
  });
});
