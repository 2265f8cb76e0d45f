/** k8s/ renders with plain `kubectl kustomize`, every object is valid, and workloads are sane. */

import { beforeAll, describe, expect, test } from "bun:test";
import type { IHorizontalPodAutoscaler } from "kubernetes-models/autoscaling/v2";
import type { IJob } from "kubernetes-models/batch/v1";
import type { IContainer, IService } from "kubernetes-models/v1";
import { CONFIG_ENV_NAMES, DEFAULT_METRICS_PORT, rootScripts } from "./deploy.test-utils.ts";
import {
  type DeploymentObject,
  find,
  type K8sObject,
  kubectlReady,
  onlyContainer,
  portNumber,
  renderKustomization,
  validateObject,
} from "./kustomize.test-utils.ts";

const usable = await kubectlReady();

describe.skipIf(!usable)("kubectl kustomize k8s", () => {
  let objects: K8sObject[] = [];
  let stderr = "";
  const deployment = (name: string) => find<DeploymentObject>(objects, "Deployment", name);

  beforeAll(() => {
    ({ objects, stderr } = renderKustomization());
  });

  test("renders without warnings and without relaxing the load restrictor", () => {
    expect(stderr.trim()).toBe("");
    expect(objects.length).toBeGreaterThan(10);
  });

  test("every object is a known kind that its Kubernetes schema accepts", () => {
    for (const object of objects) validateObject(object);
    const kinds = new Set(objects.map((o) => `${o.apiVersion}/${o.kind}`));
    expect([...kinds].sort()).toEqual([
      "apps/v1/Deployment",
      "autoscaling/v2/HorizontalPodAutoscaler",
      "batch/v1/Job",
      "v1/ConfigMap",
      "v1/Namespace",
      "v1/Secret",
      "v1/Service",
    ]);
  });

  test("the validation rejects a wrong field type and an unknown kind", () => {
    const broken = structuredClone(deployment("api"));
    const container = onlyContainer(broken);
    (container.ports?.[0] as { containerPort: unknown }).containerPort = "eighty";
    expect(() => validateObject(broken)).toThrow(/containerPort must be integer/);
    const pod = { apiVersion: "v1", kind: "Pod", metadata: { name: "stray" } };
    expect(() => validateObject(pod)).toThrow(/no schema for v1\/Pod/);
  });

  test("everything lives in the crpipeline namespace", () => {
    for (const object of objects.filter((o) => o.kind !== "Namespace")) {
      expect(object.metadata.namespace, object.metadata.name).toBe("crpipeline");
    }
  });

  test("api and worker expose metrics on 9100 with scrape annotations and no host network", () => {
    for (const name of ["api", "worker"]) {
      const pod = deployment(name).spec?.template;
      const container = onlyContainer(deployment(name));
      expect(portNumber(container, "metrics"), name).toBe(DEFAULT_METRICS_PORT);
      expect(pod?.metadata?.annotations, name).toEqual({
        "prometheus.io/scrape": "true",
        "prometheus.io/port": String(DEFAULT_METRICS_PORT),
        "prometheus.io/path": "/metrics",
      });
    }
    for (const workload of objects.filter((o) => o.kind === "Deployment" || o.kind === "Job")) {
      const spec = (workload as DeploymentObject).spec?.template.spec;
      expect(spec?.hostNetwork ?? false, workload.metadata.name).toBe(false);
      const hostPorts = spec?.containers.flatMap((c) => c.ports ?? []).filter((p) => p.hostPort);
      expect(hostPorts, workload.metadata.name).toEqual([]);
    }
  });

  test("api probes /readyz and /healthz on http, the worker /metrics on metrics", () => {
    const api = onlyContainer(deployment("api"));
    expect(api.readinessProbe?.httpGet).toMatchObject({ path: "/readyz", port: "http" });
    expect(api.livenessProbe?.httpGet).toMatchObject({ path: "/healthz", port: "http" });
    expect(portNumber(api, "http")).toBe(8080);

    const worker = onlyContainer(deployment("worker"));
    for (const probe of [worker.readinessProbe, worker.livenessProbe]) {
      expect(probe?.httpGet).toMatchObject({ path: "/metrics", port: "metrics" });
    }
  });

  test("every container has requests and limits and runs as a numeric non-root user", () => {
    const workloads = objects.filter((o) => o.kind === "Deployment" || o.kind === "Job");
    for (const workload of workloads) {
      const spec = (workload as DeploymentObject).spec?.template.spec;
      expect(spec?.securityContext?.runAsNonRoot, workload.metadata.name).toBe(true);
      expect(spec?.securityContext?.runAsUser ?? 0, workload.metadata.name).toBeGreaterThan(0);
      for (const container of spec?.containers ?? []) {
        const { requests, limits } = container.resources ?? {};
        for (const resource of ["cpu", "memory"]) {
          expect(requests?.[resource], `${container.name} ${resource}`).toBeDefined();
          expect(limits?.[resource], `${container.name} ${resource}`).toBeDefined();
        }
        expect(container.securityContext?.allowPrivilegeEscalation, container.name).toBe(false);
      }
    }
  });

  test("app containers run root package.json scripts from one image", () => {
    const scripts = Object.keys(rootScripts());
    const job = find<K8sObject & IJob>(objects, "Job", "migrate");
    const containers: [string, IContainer][] = [
      ["api", onlyContainer(deployment("api"))],
      ["worker", onlyContainer(deployment("worker"))],
      ["migrate", job.spec?.template.spec?.containers[0] as IContainer],
    ];
    for (const [script, container] of containers) {
      expect(container.args).toEqual(["bun", "run", script]);
      expect(scripts).toContain(script);
    }
    expect(new Set(containers.map(([, c]) => c.image)).size).toBe(1);
  });

  test("api runs two replicas; the worker's count belongs to its autoscaler", () => {
    expect(deployment("api").spec?.replicas).toBe(2);
    expect(deployment("worker").spec?.replicas).toBeUndefined();

    const hpa = find<K8sObject & IHorizontalPodAutoscaler>(
      objects,
      "HorizontalPodAutoscaler",
      "worker",
    );
    expect(hpa.spec?.scaleTargetRef).toEqual({
      apiVersion: "apps/v1",
      kind: "Deployment",
      name: "worker",
    });
    expect(hpa.spec?.minReplicas ?? 1).toBeLessThan(hpa.spec?.maxReplicas ?? 0);
    const cpuTarget = hpa.spec?.metrics?.find((m) => m.resource?.name === "cpu");
    expect(cpuTarget).toBeDefined();
    // Utilization is measured against the request, so the worker must declare one.
    expect(onlyContainer(deployment("worker")).resources?.requests?.cpu).toBeDefined();
  });

  test("every Deployment's selector matches its own pod template", () => {
    for (const d of objects.filter((o) => o.kind === "Deployment") as DeploymentObject[]) {
      const selector = Object.entries(d.spec?.selector.matchLabels ?? {});
      const labels = d.spec?.template.metadata?.labels ?? {};
      expect(selector.length, d.metadata.name).toBeGreaterThan(0);
      for (const [key, value] of selector) expect(labels[key], d.metadata.name).toBe(value);
    }
  });

  test("every Service selects a Deployment's pods and names ports they have", () => {
    const services = objects.filter((o) => o.kind === "Service") as (K8sObject & IService)[];
    for (const svc of services) {
      const selector = Object.entries(svc.spec?.selector ?? {});
      const target = objects
        .filter((o) => o.kind === "Deployment")
        .map((o) => o as DeploymentObject)
        .find((d) => {
          const labels = d.spec?.template.metadata?.labels ?? {};
          return selector.length > 0 && selector.every(([key, value]) => labels[key] === value);
        });
      expect(target, `Service ${svc.metadata.name}`).toBeDefined();
      const container = onlyContainer(target as DeploymentObject);
      for (const port of svc.spec?.ports ?? []) {
        expect(portNumber(container, port.targetPort ?? port.port)).toBe(port.port);
      }
    }
  });

  test("every referenced ConfigMap and Secret exists under its rendered name", () => {
    const names = new Set(objects.map((o) => `${o.kind}/${o.metadata.name}`));
    const workloads = objects.filter((o) => o.kind === "Deployment" || o.kind === "Job");
    for (const workload of workloads) {
      const spec = (workload as DeploymentObject).spec?.template.spec;
      const refs = [
        ...(spec?.containers ?? []).flatMap((c) =>
          (c.envFrom ?? []).flatMap((source) => [
            ...(source.configMapRef ? [`ConfigMap/${source.configMapRef.name}`] : []),
            ...(source.secretRef ? [`Secret/${source.secretRef.name}`] : []),
          ]),
        ),
        ...(spec?.volumes ?? []).flatMap((v) => [
          ...(v.configMap ? [`ConfigMap/${v.configMap.name}`] : []),
          ...(v.secret ? [`Secret/${v.secret.secretName}`] : []),
        ]),
      ];
      for (const ref of refs) expect(names, workload.metadata.name).toContain(ref);
    }
  });

  test("container env names are settings packages/config reads", () => {
    for (const name of ["api", "worker"]) {
      for (const variable of onlyContainer(deployment(name)).env ?? []) {
        expect(CONFIG_ENV_NAMES.has(variable.name), variable.name).toBe(true);
      }
    }
  });
});
