import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import {
  announcedFds,
  decodeProcNetAddress,
  inheritedSockets,
  type ProcNetTable,
  parseProcNetTable,
  type SocketProbe,
  serviceForFdName,
  socketInode,
} from "../../src/config/inherited-sockets.js";
import { TimeServerError } from "../../src/errors.js";

// Rows as an x86-64 Linux prints them (little-endian words).
const TCP = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:AFC8 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1001 1 0000000063180ca0 100 0 0 10 0
   1: 0100007F:AFC8 0100007F:D2F0 01 00000000:00000000 00:00000000 00000000     0        0 1005 1 0000000063180ca0 20 4 30 10 -1
   2: 00000000:000D 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1006 1 0000000063180ca0 100 0 0 10 0
`;
const TCP6 = `  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000000000000:0025 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1002 1 0000000000000000 100 0 0 10 0
`;
const UDP = `   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops
  100: 00000000:000D 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 1003 2 0000000000000000 0
`;
const UDP6 = `  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops
  200: 00000000000000000000000001000000:007B 00000000000000000000000000000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 1004 2 0000000000000000 0
`;

/** A fake /proc: fd → link, and the four tables above. */
function probe(links: Record<number, string>): SocketProbe & { reads: ProcNetTable[] } {
  const tables: Record<ProcNetTable, string> = { tcp: TCP, tcp6: TCP6, udp: UDP, udp6: UDP6 };
  const reads: ProcNetTable[] = [];
  return {
    reads,
    fdLink: (fd) => links[fd],
    procNetTable: (table) => {
      reads.push(table);
      return tables[table];
    },
  };
}

function configError(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    assert.ok(error instanceof TimeServerError);
    assert.equal(error.code, "TS_ERR_CONFIG");
    return error.message;
  }
  return assert.fail("no error");
}

describe("announcedFds: the LISTEN_* variables as sd_listen_fds reads them", () => {
  it("hands out fds 3.. in order with their names when LISTEN_PID is ours", () => {
    const env = { LISTEN_PID: "42", LISTEN_FDS: "3", LISTEN_FDNAMES: "line:daytime:daytime" };
    assert.deepEqual(announcedFds(env, 42), [
      { fd: 3, fdName: "line" },
      { fd: 4, fdName: "daytime" },
      { fd: 5, fdName: "daytime" },
    ]);
  });

  it("leaves names empty when LISTEN_FDNAMES is absent (systemd-socket-activate without --fdname)", () => {
    assert.deepEqual(announcedFds({ LISTEN_PID: "7", LISTEN_FDS: "2" }, 7), [
      { fd: 3, fdName: "" },
      { fd: 4, fdName: "" },
    ]);
  });

  it("ignores sockets meant for another process or not announced at all", () => {
    assert.deepEqual(announcedFds({ LISTEN_PID: "41", LISTEN_FDS: "1" }, 42), []);
    assert.deepEqual(announcedFds({ LISTEN_FDS: "1" }, 42), []);
    assert.deepEqual(announcedFds({ LISTEN_PID: "42" }, 42), []);
    assert.deepEqual(announcedFds({}, 42), []);
  });

  it("rejects malformed counts and a name list of the wrong length", () => {
    assert.match(
      configError(() => announcedFds({ LISTEN_PID: "x", LISTEN_FDS: "1" }, 1)),
      /LISTEN_PID/,
    );
    for (const bad of ["0", "-1", "two", "1.5"]) {
      assert.match(
        configError(() => announcedFds({ LISTEN_PID: "1", LISTEN_FDS: bad }, 1)),
        /LISTEN_FDS/,
      );
    }
    const env = { LISTEN_PID: "1", LISTEN_FDS: "2", LISTEN_FDNAMES: "line" };
    assert.match(
      configError(() => announcedFds(env, 1)),
      /names 1 sockets but LISTEN_FDS is 2/,
    );
  });
});

describe("serviceForFdName: which service a socket's name selects", () => {
  it("maps every service name to itself", () => {
    for (const name of ["line", "daytime", "rfc868", "ntp", "tls", "metrics"]) {
      assert.equal(serviceForFdName(name), name);
    }
  });

  it("gives unnamed sockets and systemd's default names to the line protocol", () => {
    assert.equal(serviceForFdName(""), "line");
    assert.equal(serviceForFdName("unknown"), "line");
    assert.equal(serviceForFdName("timeserver.socket"), "line");
  });

  it("reads the service from a unit's default name timeserver-<service>.socket", () => {
    assert.equal(serviceForFdName("timeserver-daytime.socket"), "daytime");
    assert.equal(serviceForFdName("timeserver-ntp.socket"), "ntp");
  });

  it("rejects any other name and says which names are known", () => {
    for (const name of ["http", "LINE", "other.socket", "timeserver-http.socket", "stored"]) {
      const message = configError(() => serviceForFdName(name));
      assert.ok(message.includes(`"${name}"`), message);
      assert.match(message, /FileDescriptorName=.*line, daytime, rfc868, ntp, tls, metrics/);
    }
  });
});

describe("the /proc parsers", () => {
  it("finds the inode in a /proc/self/fd link and nothing in other links", () => {
    assert.equal(socketInode("socket:[28020]"), "28020");
    assert.equal(socketInode("pipe:[28020]"), undefined);
    assert.equal(socketInode("/dev/null"), undefined);
  });

  it("decodes IPv4 and IPv6 words in host order", () => {
    assert.equal(decodeProcNetAddress("0100007F"), "127.0.0.1");
    assert.equal(decodeProcNetAddress("7F000001", "BE"), "127.0.0.1");
    assert.equal(decodeProcNetAddress("00000000"), "0.0.0.0");
    assert.equal(decodeProcNetAddress("00000000000000000000000001000000"), "::1");
    assert.equal(decodeProcNetAddress("00000000000000000000000000000000"), "::");
    assert.equal(decodeProcNetAddress("0000000000000000FFFF00000100007F"), "::ffff:127.0.0.1");
    assert.equal(decodeProcNetAddress("000080FE000000000000000001000000"), "fe80::1");
    assert.throws(() => decodeProcNetAddress("0100007"));
  });

  it("reads address, port, state and inode from every row and skips the header", () => {
    assert.deepEqual(parseProcNetTable(TCP), [
      { inode: "1001", address: "127.0.0.1", port: 45000, state: 0x0a },
      { inode: "1005", address: "127.0.0.1", port: 45000, state: 0x01 },
      { inode: "1006", address: "0.0.0.0", port: 13, state: 0x0a },
    ]);
    assert.deepEqual(parseProcNetTable(UDP6), [
      { inode: "1004", address: "::1", port: 123, state: 0x07 },
    ]);
    assert.deepEqual(parseProcNetTable(""), []);
    assert.deepEqual(parseProcNetTable("garbage\n 0: nothing here\n"), []);
  });

  it("round-trips any IPv4 row, port and inode (property)", () => {
    fc.assert(
      fc.property(
        fc.ipV4(),
        fc.integer({ min: 0, max: 65535 }),
        fc.bigInt({ min: 1n, max: 2n ** 63n }),
        (address, port, inode) => {
          const word = Buffer.from(address.split(".").map(Number))
            .reverse()
            .toString("hex")
            .toUpperCase();
          const hexPort = port.toString(16).toUpperCase().padStart(4, "0");
          const row = `   5: ${word}:${hexPort} 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 ${inode} 1 0 100 0 0 10 0`;
          assert.deepEqual(parseProcNetTable(row), [
            { inode: String(inode), address, port, state: 0x0a },
          ]);
        },
      ),
    );
  });
});

describe("inheritedSockets", () => {
  const links = {
    3: "socket:[1001]",
    4: "socket:[1006]",
    5: "socket:[1003]",
    6: "socket:[1004]",
    7: "socket:[1002]",
  };

  it("names each socket, tells stream from datagram and finds its address", () => {
    const env: NodeJS.ProcessEnv = {
      LISTEN_PID: "42",
      LISTEN_FDS: "5",
      LISTEN_FDNAMES: "line:daytime:daytime:ntp:unknown",
    };
    assert.deepEqual(inheritedSockets(env, 42, probe(links), "LE"), [
      { fd: 3, name: "line", kind: "stream", address: "127.0.0.1", port: 45000, family: 4 },
      { fd: 4, name: "daytime", kind: "stream", address: "0.0.0.0", port: 13, family: 4 },
      { fd: 5, name: "daytime", kind: "datagram", address: "0.0.0.0", port: 13, family: 4 },
      { fd: 6, name: "ntp", kind: "datagram", address: "::1", port: 123, family: 6 },
      { fd: 7, name: "line", kind: "stream", address: "::", port: 37, family: 6 },
    ]);
  });

  it("unsets LISTEN_PID, LISTEN_FDS and LISTEN_FDNAMES, keeping every other variable", () => {
    const env: NodeJS.ProcessEnv = {
      LISTEN_PID: "42",
      LISTEN_FDS: "1",
      LISTEN_FDNAMES: "line",
      TIMESERVER_PORT: "1",
    };
    inheritedSockets(env, 42, probe(links), "LE");
    assert.deepEqual(env, { TIMESERVER_PORT: "1" });
  });

  it("unsets them too when they are another process's, and when they are wrong", () => {
    const foreign: NodeJS.ProcessEnv = { LISTEN_PID: "41", LISTEN_FDS: "1" };
    assert.deepEqual(inheritedSockets(foreign, 42, probe(links), "LE"), []);
    assert.deepEqual(foreign, {});
    const misnamed: NodeJS.ProcessEnv = {
      LISTEN_PID: "42",
      LISTEN_FDS: "1",
      LISTEN_FDNAMES: "http",
    };
    configError(() => inheritedSockets(misnamed, 42, probe(links), "LE"));
    assert.deepEqual(misnamed, {});
  });

  it("reads no /proc table when nothing was inherited, and each table at most once", () => {
    const none = probe(links);
    inheritedSockets({}, 42, none, "LE");
    assert.deepEqual(none.reads, []);
    const many = probe(links);
    const env = {
      LISTEN_PID: "42",
      LISTEN_FDS: "5",
      LISTEN_FDNAMES: "line:daytime:daytime:ntp:line",
    };
    inheritedSockets(env, 42, many, "LE");
    assert.deepEqual([...many.reads].sort(), ["tcp", "tcp6", "udp", "udp6"]);
  });

  it("refuses a service over the wrong transport and says which directive to use", () => {
    const ntpOverTcp = { LISTEN_PID: "1", LISTEN_FDS: "1", LISTEN_FDNAMES: "ntp" };
    assert.match(
      configError(() => inheritedSockets(ntpOverTcp, 1, probe(links), "LE")),
      /fd 3 \(ntp\) is a TCP socket, but ntp is served over UDP only: use ListenDatagram=/,
    );
    const lineOverUdp = { LISTEN_PID: "1", LISTEN_FDS: "1" };
    assert.match(
      configError(() => inheritedSockets(lineOverUdp, 1, probe({ 3: "socket:[1003]" }), "LE")),
      /fd 3 \(line\) is a UDP socket, but line is served over TCP only: use ListenStream=/,
    );
  });

  it("refuses connected sockets (Accept=yes), closed fds, non-sockets and unknown sockets", () => {
    const env = () => ({ LISTEN_PID: "1", LISTEN_FDS: "1" });
    assert.match(
      configError(() => inheritedSockets(env(), 1, probe({ 3: "socket:[1005]" }), "LE")),
      /connected TCP socket.*Accept=no/,
    );
    assert.match(
      configError(() => inheritedSockets(env(), 1, probe({}), "LE")),
      /fd 3 \(line\) is not open/,
    );
    assert.match(
      configError(() => inheritedSockets(env(), 1, probe({ 3: "/dev/null" }), "LE")),
      /not a socket \(it is \/dev\/null\)/,
    );
    assert.match(
      configError(() => inheritedSockets(env(), 1, probe({ 3: "socket:[9999]" }), "LE")),
      /not a TCP or UDP socket/,
    );
  });
});
