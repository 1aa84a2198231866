import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseServerCommand } from "../../src/config/server-config.js";

const run = (...argv: string[]) => {
  const command = parseServerCommand(argv, {});
  assert.equal(command.kind, "run");
  return command.kind === "run" ? command.config : assert.fail();
};
const TLS = ["--tls-cert", "c.pem", "--tls-key", "k.pem"];

describe("NTS options", () => {
  it("takes --nts-ke-port with the certificate and --ntp-port, no --tls-port needed", () => {
    const config = run("--nts-ke-port", "4460", "--ntp-port", "123", ...TLS);
    assert.equal(config.ntsKePort, 4460);
    assert.equal(config.tlsPort, undefined);
  });

  it("reads --nts-ntp-server as host, host:port or [v6]:port", () => {
    const server = (value: string) =>
      run("--nts-ke-port", "4460", "--nts-ntp-server", value, ...TLS).ntsNtpServer;
    assert.deepEqual(server("ntp.example"), { host: "ntp.example", port: undefined });
    assert.deepEqual(server("10.0.0.2:1123"), { host: "10.0.0.2", port: 1123 });
    assert.deepEqual(server("[2001:db8::1]:123"), { host: "2001:db8::1", port: 123 });
    assert.deepEqual(server("[::1]"), { host: "::1", port: undefined });
    for (const bad of ["", "a:b:c", "host:0", "host:70000", "[::1", "a b"])
      assert.throws(() => server(bad), { code: "TS_ERR_CONFIG" }, bad);
  });

  it("refuses --nts-ke-port without a certificate, or with nowhere to send NTP", () => {
    assert.throws(() => run("--nts-ke-port", "4460", "--ntp-port", "123"), /go together/);
    assert.throws(() => run("--nts-ke-port", "4460", ...TLS), /needs --ntp-port/);
  });

  it("takes the secret file's path from the environment too", () => {
    const command = parseServerCommand([], { TIMESERVER_NTS_SECRET_FILE: "/run/secret" });
    assert.ok(command.kind === "run" && command.config.ntsSecretFile === "/run/secret");
  });
});
