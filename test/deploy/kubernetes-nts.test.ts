/**
 * deploy/kubernetes/nts/: the opt-in NTS manifests parse and fit the
 * Deployment and Service in ../: the Secrets the patch mounts exist with the
 * keys it reads, the environment names real files and real options, the
 * NTS-KE port is named the same in the pod and the Service, and the init
 * container really leaves the secret at mode 0600 (run here with the paths
 * moved to a scratch directory).
 */

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { parseAllDocuments } from "yaml";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const DIR = join(ROOT, "deploy/kubernetes");

// Only the fields these tests read.
interface Mount {
  name: string;
  mountPath: string;
  readOnly?: boolean;
}
interface Port {
  name: string;
  containerPort: number;
  protocol: string;
}
interface Container {
  name: string;
  image?: string;
  command?: string[];
  env?: { name: string; value: string }[];
  ports?: Port[];
  volumeMounts?: Mount[];
}
interface Volume {
  name: string;
  secret?: { secretName: string; defaultMode: number };
  emptyDir?: { medium?: string };
}
interface PodSpec {
  securityContext?: { fsGroup?: number; runAsUser?: number; runAsGroup?: number };
  volumes?: Volume[];
  initContainers?: Container[];
  containers: Container[];
}
interface Workload {
  metadata: { name: string };
  spec: { template: { spec: PodSpec } };
}
interface ServicePorts {
  spec: { ports: { name: string; port: number; targetPort: string | number; protocol: string }[] };
}
interface Secret {
  kind: string;
  type: string;
  metadata: { name: string };
  stringData: Record<string, string>;
}

function documents(file: string): unknown[] {
  return parseAllDocuments(readFileSync(join(DIR, file), "utf8")).map((document) => {
    assert.deepEqual(document.errors, [], `${file} does not parse`);
    return document.toJS();
  });
}

const secrets = documents("nts/secret.yaml") as Secret[];
const [patch] = documents("nts/deployment-patch.yaml") as [Workload];
const [servicePatch] = documents("nts/service-patch.yaml") as [ServicePorts];
const [deployment] = documents("deployment.yaml") as [Workload];
const [service] = documents("service.yaml") as [ServicePorts];

const pod = patch.spec.template.spec;
const base = deployment.spec.template.spec;
const container = pod.containers[0]!;
const init = pod.initContainers![0]!;
const env = Object.fromEntries(container.env!.map(({ name, value }) => [name, value]));

/** The volume mounted at the directory holding `path` in `of`. */
function volumeAt(of: Container, path: string): { volume: Volume; key: string } {
  const mount = of.volumeMounts!.find((entry) => path.startsWith(`${entry.mountPath}/`));
  assert.ok(mount !== undefined, `${of.name}: nothing mounted above ${path}`);
  const volume = pod.volumes!.find((entry) => entry.name === mount.name);
  assert.ok(volume !== undefined, `${of.name}: no volume ${mount.name}`);
  return { volume, key: path.slice(mount.mountPath.length + 1) };
}

function secretNamed(name: string): Secret {
  const secret = secrets.find((entry) => entry.metadata.name === name);
  assert.ok(secret !== undefined, `no Secret ${name} in nts/secret.yaml`);
  return secret;
}

const scratch = mkdtempSync(join(tmpdir(), "timeserver-k8s-nts-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

describe("deploy/kubernetes/nts", () => {
  it("are two Secrets and patches for the base Deployment's container", () => {
    assert.deepEqual(
      secrets.map(({ kind, type }) => `${kind} ${type}`),
      ["Secret Opaque", "Secret kubernetes.io/tls"],
    );
    assert.equal(container.name, base.containers[0]!.name, "the patch would add a container");
    assert.equal(init.image, base.containers[0]!.image, "the init container runs another image");
  });

  it("serve NTS-KE on one TCP port, named the same in the pod and the Service", () => {
    const port = container.ports!.find((entry) => entry.name === "nts-ke");
    assert.ok(port !== undefined);
    assert.equal(port.protocol, "TCP");
    assert.equal(env.TIMESERVER_NTS_KE_PORT, String(port.containerPort));
    const used = base.containers[0]!.ports!;
    assert.ok(
      !used.some((entry) => entry.name === port.name || entry.containerPort === port.containerPort),
    );
    assert.deepEqual(servicePatch.spec.ports, [
      { name: "nts-ke", port: 4460, targetPort: "nts-ke", protocol: "TCP" },
    ]);
    assert.ok(!service.spec.ports.some((entry) => entry.name === "nts-ke" || entry.port === 4460));
  });

  it("name only options timeserver has", () => {
    const options = readFileSync(join(ROOT, "src/config/server-config.ts"), "utf8");
    for (const name of Object.keys(env)) assert.match(options, new RegExp(`env: "${name}"`), name);
  });

  it("give timeserver the certificate and key of the TLS Secret", () => {
    for (const variable of ["TIMESERVER_TLS_CERT", "TIMESERVER_TLS_KEY"]) {
      const { volume, key } = volumeAt(container, env[variable]!);
      const secret = secretNamed(volume.secret!.secretName);
      assert.equal(secret.type, "kubernetes.io/tls");
      assert.ok(key in secret.stringData, `${variable}: the Secret has no ${key}`);
    }
  });

  it("copy the cookie secret into memory, readable by the pod's user alone", () => {
    // The copy timeserver reads is on a memory-backed volume the init container writes.
    const target = volumeAt(container, env.TIMESERVER_NTS_SECRET_FILE!);
    assert.equal(target.volume.emptyDir?.medium, "Memory");
    assert.ok(init.volumeMounts!.some((mount) => mount.name === target.volume.name));
    // The init container reads a key that the Opaque Secret has, via fsGroup.
    const script = init.command!.at(-1)!;
    const source = script.match(/copyFileSync\("([^"]+)"/)?.[1];
    assert.ok(source !== undefined, "the init container copies nothing");
    const { volume, key } = volumeAt(init, source);
    assert.ok(key in secretNamed(volume.secret!.secretName).stringData);
    assert.equal(pod.securityContext?.fsGroup, base.securityContext?.runAsGroup);
    assert.equal(volume.secret!.defaultMode, 0o440);

    // Run the script with every mount moved under scratch: the result is 0600.
    let moved = script;
    const mounts = [...init.volumeMounts!].sort((a, b) => b.mountPath.length - a.mountPath.length);
    for (const mount of mounts) {
      const directory = join(scratch, mount.name);
      mkdirSync(directory, { recursive: true });
      moved = moved.replaceAll(`"${mount.mountPath}/`, `"${directory}/`);
    }
    writeFileSync(join(scratch, volume.name, key), "x".repeat(48), { mode: 0o440 });
    const run = spawnSync(process.execPath, [init.command![1]!, moved], { encoding: "utf8" });
    assert.equal(run.status, 0, run.stderr);
    const copied = join(scratch, target.volume.name, target.key);
    assert.equal(statSync(copied).mode & 0o777, 0o600);
    assert.equal(readFileSync(copied, "utf8"), "x".repeat(48));
  });
});
