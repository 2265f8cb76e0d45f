/** Renders k8s/ with kubectl and validates each object with its kubernetes-models class. */

import { requireCommand, requireService } from "@crpipeline/testing";
import { Deployment, type IDeployment } from "kubernetes-models/apps/v1";
import { HorizontalPodAutoscaler } from "kubernetes-models/autoscaling/v2";
import { Job } from "kubernetes-models/batch/v1";
import { ConfigMap, type IContainer, Namespace, Secret, Service } from "kubernetes-models/v1";
import { parseAllDocuments } from "yaml";
import { repoPath } from "./deploy.test-utils.ts";

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [field: string]: unknown;
}

/** Every kind the manifests may contain; anything else is a mistake the tests must report. */
const MODELS: Record<string, new (data: never) => { validate(): void }> = {
  "v1/Namespace": Namespace,
  "v1/ConfigMap": ConfigMap,
  "v1/Secret": Secret,
  "v1/Service": Service,
  "apps/v1/Deployment": Deployment,
  "batch/v1/Job": Job,
  "autoscaling/v2/HorizontalPodAutoscaler": HorizontalPodAutoscaler,
};

/** Throws for an unknown apiVersion/kind or an object its Kubernetes schema rejects. */
export function validateObject(object: K8sObject): void {
  const key = `${object.apiVersion}/${object.kind}`;
  const ModelClass = MODELS[key];
  if (!ModelClass) throw new Error(`no schema for ${key} (${object.metadata?.name})`);
  new ModelClass(object as never).validate();
}

/** `kubectl kustomize k8s`, exactly as the README tells operators to run it. */
export function renderKustomization(): { objects: K8sObject[]; stderr: string } {
  const result = Bun.spawnSync(["kubectl", "kustomize", repoPath("k8s")], {
    stdout: "pipe",
    stderr: "pipe",
  });
  const stderr = result.stderr.toString();
  if (result.exitCode !== 0) throw new Error(`kubectl kustomize k8s failed: ${stderr}`);
  const documents = parseAllDocuments(result.stdout.toString());
  if (!Array.isArray(documents)) throw new Error("kubectl kustomize printed no documents");
  const objects = documents.map((document) => {
    if (document.errors.length > 0) throw document.errors[0];
    return document.toJS() as K8sObject;
  });
  return { objects, stderr };
}

/**
 * Whether the render tests can run: kubectl on PATH and working (a broken wrapper fails here,
 * not mid-test). Outside CI a missing kubectl skips them; under CI=true it fails them.
 */
export async function kubectlReady(): Promise<boolean> {
  if (!(await requireCommand("kubectl"))) return false;
  return requireService("kubectl kustomize", async () => {
    const result = Bun.spawnSync(["kubectl", "version", "--client"], { stdout: "pipe" });
    if (result.exitCode !== 0 || !result.stdout.toString().includes("Kustomize Version")) {
      throw new Error("`kubectl version --client` failed or reports no kustomize");
    }
  });
}

export function find<T extends K8sObject = K8sObject>(
  objects: K8sObject[],
  kind: string,
  name: string,
): T {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (!found) throw new Error(`rendered manifests have no ${kind} ${name}`);
  return found as T;
}

/** A generated ConfigMap, found by the name before kustomize's content-hash suffix. */
export function generatedConfigMap(objects: K8sObject[], baseName: string): K8sObject {
  const pattern = new RegExp(`^${baseName}-[a-z0-9]{10}$`);
  const found = objects.filter((o) => o.kind === "ConfigMap" && pattern.test(o.metadata.name));
  if (found.length !== 1) throw new Error(`expected one generated ConfigMap ${baseName}-<hash>`);
  return found[0] as K8sObject;
}

export const configMapData = (object: K8sObject): Record<string, string> =>
  (object as { data?: Record<string, string> }).data ?? {};

export type DeploymentObject = K8sObject & IDeployment;

/** The single container of a Deployment's pod template. */
export function onlyContainer(deployment: DeploymentObject): IContainer {
  const containers = deployment.spec?.template.spec?.containers ?? [];
  if (containers.length !== 1) throw new Error(`${deployment.metadata.name}: one container`);
  return containers[0] as IContainer;
}

/** The container port number behind a named or numeric port reference. */
export function portNumber(container: IContainer, port: string | number | undefined): number {
  if (typeof port === "number") return port;
  const found = container.ports?.find((p) => p.name === port);
  if (!found) throw new Error(`${container.name} has no port named ${port}`);
  return found.containerPort;
}
