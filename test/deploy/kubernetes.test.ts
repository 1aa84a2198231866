/**
 * deploy/kubernetes/: every manifest parses, and together they hang together:
 * probes on the metrics port, a grace period longer than preStop plus the
 * drain, Service ports that name real container ports with the same protocol,
 * a PDB and an HPA aimed at the Deployment, and the image's ports.
 */

import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { parseAllDocuments } from "yaml";
import { argsOf, readDockerfile } from "./dockerfile.js";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const DIR = join(ROOT, "deploy/kubernetes");
const DRAIN_SECONDS = 2;

// Only the fields these tests read; the manifests themselves are the schema's business.
interface ContainerPort {
  name: string;
  containerPort: number;
  protocol: "TCP" | "UDP";
}
interface Probe {
  httpGet: { path: string; port: string | number };
}
interface Container {
  name: string;
  env: { name: string; value: string }[];
  ports: ContainerPort[];
  readinessProbe: Probe;
  livenessProbe: Probe;
  lifecycle: { preStop: { exec: { command: string[] } } };
  resources: { requests: Record<string, string>; limits: Record<string, string> };
  securityContext: {
    allowPrivilegeEscalation: boolean;
    readOnlyRootFilesystem: boolean;
    capabilities: { drop: string[] };
  };
}
interface Deployment {
  metadata: { name: string };
  spec: {
    replicas: number;
    selector: { matchLabels: Record<string, string> };
    template: {
      metadata: { labels: Record<string, string> };
      spec: {
        terminationGracePeriodSeconds: number;
        securityContext: { runAsNonRoot: boolean };
        containers: Container[];
      };
    };
  };
}
interface Service {
  spec: {
    selector: Record<string, string>;
    ports: { name: string; port: number; targetPort: string | number; protocol: string }[];
  };
}
interface Budget {
  spec: {
    selector: { matchLabels: Record<string, string> };
    minAvailable?: number;
    maxUnavailable?: number;
  };
}
interface Autoscaler {
  spec: {
    scaleTargetRef: { apiVersion: string; kind: string; name: string };
    minReplicas: number;
    maxReplicas: number;
    metrics: { type: string; resource?: { name: string } }[];
  };
}

interface Manifest {
  file: string;
  apiVersion: string;
  kind: string;
  body: unknown;
}

const manifests: Manifest[] = readdirSync(DIR)
  .filter((file) => file.endsWith(".yaml"))
  .flatMap((file) =>
    parseAllDocuments(readFileSync(join(DIR, file), "utf8")).map((document) => {
      assert.deepEqual(document.errors, [], `${file} does not parse`);
      const body = document.toJS() as { apiVersion: string; kind: string };
      return { file, apiVersion: body.apiVersion, kind: body.kind, body };
    }),
  );

function only<T>(kind: string): T {
  const found = manifests.filter((manifest) => manifest.kind === kind);
  assert.equal(found.length, 1, `one ${kind}`);
  return found[0]!.body as T;
}

const deployment = only<Deployment>("Deployment");
const pod = deployment.spec.template.spec;
const container = pod.containers[0]!;

/** Whether every label a selector asks for is on the pods. */
function selects(selector: Record<string, string>, labels: Record<string, string>): boolean {
  return (
    Object.keys(selector).length > 0 &&
    Object.entries(selector).every(([key, value]) => labels[key] === value)
  );
}

function metricsPort(): ContainerPort {
  const port = container.ports.find((entry) => entry.name === "metrics");
  assert.ok(port !== undefined, "no container port named metrics");
  return port;
}

describe("deploy/kubernetes manifests", () => {
  it("are a Deployment, a Service, a PodDisruptionBudget and an HPA, at current API versions", () => {
    assert.deepEqual(
      manifests.map(({ file, apiVersion, kind }) => `${file}: ${apiVersion} ${kind}`).sort(),
      [
        "deployment.yaml: apps/v1 Deployment",
        "hpa.yaml: autoscaling/v2 HorizontalPodAutoscaler",
        "pdb.yaml: policy/v1 PodDisruptionBudget",
        "service.yaml: v1 Service",
      ],
    );
  });

  it("run three replicas whose selector matches their own labels", () => {
    assert.equal(deployment.spec.replicas, 3);
    assert.ok(
      selects(deployment.spec.selector.matchLabels, deployment.spec.template.metadata.labels),
    );
  });

  it("probe liveness on /healthz and readiness on /readyz, on the metrics port bound to all interfaces", () => {
    const port = metricsPort();
    assert.equal(container.livenessProbe.httpGet.path, "/healthz");
    assert.equal(container.readinessProbe.httpGet.path, "/readyz");
    for (const probe of [container.livenessProbe, container.readinessProbe]) {
      assert.ok([port.name, port.containerPort].includes(probe.httpGet.port));
    }
    const env = Object.fromEntries(container.env.map(({ name, value }) => [name, value]));
    assert.equal(env.TIMESERVER_METRICS_HOST, "0.0.0.0");
    assert.equal(env.TIMESERVER_METRICS_PORT, String(port.containerPort));
  });

  it("give the pod longer than preStop plus the drain before SIGKILL", () => {
    const command = container.lifecycle.preStop.exec.command;
    assert.equal(command[0], "sleep");
    const preStop = Number(command[1]);
    assert.ok(preStop > 0);
    assert.ok(
      pod.terminationGracePeriodSeconds > preStop + DRAIN_SECONDS,
      `${pod.terminationGracePeriodSeconds}s grace <= ${preStop}s preStop + ${DRAIN_SECONDS}s drain`,
    );
  });

  it("request and limit CPU and memory, and run unprivileged on a read-only root", () => {
    for (const key of ["cpu", "memory"]) {
      assert.ok(container.resources.requests[key], `no ${key} request`);
      assert.ok(container.resources.limits[key], `no ${key} limit`);
    }
    assert.equal(pod.securityContext.runAsNonRoot, true);
    assert.equal(container.securityContext.readOnlyRootFilesystem, true);
    assert.equal(container.securityContext.allowPrivilegeEscalation, false);
    assert.deepEqual(container.securityContext.capabilities.drop, ["ALL"]);
  });

  it("serve 45000, 13 and 37 (TCP and UDP) and 123/UDP, each on a container port of its protocol", () => {
    const service = only<Service>("Service");
    assert.ok(selects(service.spec.selector, deployment.spec.template.metadata.labels));
    const published = service.spec.ports.map(({ port, protocol }) => `${port}/${protocol}`).sort();
    assert.deepEqual(published, ["123/UDP", "13/TCP", "13/UDP", "37/TCP", "37/UDP", "45000/TCP"]);
    for (const entry of service.spec.ports) {
      const target = container.ports.find(
        (port) => port.name === entry.targetPort || port.containerPort === entry.targetPort,
      );
      assert.ok(target !== undefined, `${entry.name}: no container port ${entry.targetPort}`);
      assert.equal(target.protocol, entry.protocol, entry.name);
      assert.ok(target.containerPort > 1023, `${entry.name} needs a privileged port in the pod`);
    }
  });

  it("configure the same ports in the pod as the image exposes", () => {
    const image = readDockerfile(join(ROOT, "deploy/docker/Dockerfile")).at(-1)!;
    const exposed = argsOf(image, "EXPOSE").join(" ").split(/\s+/).sort();
    const declared = container.ports
      .map(({ containerPort, protocol }) => `${containerPort}/${protocol.toLowerCase()}`)
      .sort();
    assert.deepEqual(declared, exposed);
    const env = Object.fromEntries(container.env.map(({ name, value }) => [name, value]));
    for (const name of ["line", "daytime-tcp", "rfc868-tcp", "ntp"]) {
      const port = container.ports.find((entry) => entry.name === name)!;
      const variable = {
        line: "TIMESERVER_PORT",
        "daytime-tcp": "TIMESERVER_DAYTIME_PORT",
        "rfc868-tcp": "TIMESERVER_RFC868_PORT",
        ntp: "TIMESERVER_NTP_PORT",
      }[name]!;
      assert.equal(env[variable], String(port.containerPort), variable);
    }
  });

  it("keep at least two replicas through voluntary disruptions", () => {
    const budget = only<Budget>("PodDisruptionBudget");
    assert.ok(selects(budget.spec.selector.matchLabels, deployment.spec.template.metadata.labels));
    const replicas = deployment.spec.replicas;
    const left =
      budget.spec.minAvailable ??
      replicas - (budget.spec.maxUnavailable ?? Number.POSITIVE_INFINITY);
    assert.ok(left >= 2, `only ${left} replicas guaranteed`);
    assert.ok(left < replicas, "the budget would block every drain");
  });

  it("scale the Deployment on CPU, never below its three replicas", () => {
    const autoscaler = only<Autoscaler>("HorizontalPodAutoscaler");
    assert.deepEqual(autoscaler.spec.scaleTargetRef, {
      apiVersion: "apps/v1",
      kind: "Deployment",
      name: deployment.metadata.name,
    });
    assert.equal(autoscaler.spec.minReplicas, deployment.spec.replicas);
    assert.ok(autoscaler.spec.maxReplicas > autoscaler.spec.minReplicas);
    assert.ok(
      autoscaler.spec.metrics.some(
        (metric) => metric.type === "Resource" && metric.resource?.name === "cpu",
      ),
    );
  });
});
