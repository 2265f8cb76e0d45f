/** The rendered ConfigMaps and Secret: app settings load, observability files arrive unchanged. */

import { beforeAll, describe, expect, test } from "bun:test";
import { ConfigError, loadConfig } from "@crpipeline/config";
import type { IService } from "kubernetes-models/v1";
import { readCompose, service } from "./compose.test-utils.ts";
import {
  CONFIG_ENV_NAMES,
  filesIn,
  grafanaProvisioning,
  hostAndPort,
  readPrometheusConfig,
  readRepoFile,
  scrapeTargets,
} from "./deploy.test-utils.ts";
import {
  configMapData,
  type DeploymentObject,
  find,
  generatedConfigMap,
  type K8sObject,
  kubectlReady,
  onlyContainer,
  renderKustomization,
} from "./kustomize.test-utils.ts";

const usable = await kubectlReady();

/** Where a Deployment mounts the volume that carries a given ConfigMap. */
function mountPathOf(deployment: DeploymentObject, configMapName: string): string | undefined {
  const volume = deployment.spec?.template.spec?.volumes?.find(
    (v) => v.configMap?.name === configMapName,
  );
  const container = onlyContainer(deployment);
  return container.volumeMounts?.find((m) => m.name === volume?.name)?.mountPath;
}

describe.skipIf(!usable)("rendered configuration", () => {
  let objects: K8sObject[] = [];
  const deployment = (name: string) => find<DeploymentObject>(objects, "Deployment", name);

  beforeAll(() => {
    objects = renderKustomization().objects;
  });

  describe("app settings", () => {
    const appEnv = () => {
      const secret = find<K8sObject & { stringData?: Record<string, string> }>(
        objects,
        "Secret",
        "crpipeline-secrets",
      );
      return {
        ...configMapData(generatedConfigMap(objects, "crpipeline-config")),
        ...(secret.stringData ?? {}),
      };
    };

    test("ConfigMap and Secret name only variables packages/config reads", () => {
      const unknown = Object.keys(appEnv()).filter((key) => !CONFIG_ENV_NAMES.has(key));
      expect(unknown).toEqual([]);
    });

    test("the example Secret is refused until its JWT_SECRET placeholder is replaced", () => {
      const env = appEnv();
      expect(env.JWT_SECRET).toContain("CHANGE-ME");
      expect(readRepoFile("k8s/secret.example.yaml")).toStartWith("# EXAMPLE ONLY");
      expect(() => loadConfig(env)).toThrow(ConfigError);
      expect(() => loadConfig(env)).toThrow(/JWT_SECRET/);

      const config = loadConfig({ ...env, JWT_SECRET: "x".repeat(32) });
      expect(config.nodeEnv).toBe("production");
    });

    test("the configured ports are the ones the containers declare", () => {
      const config = loadConfig({ ...appEnv(), JWT_SECRET: "x".repeat(32) });
      const api = onlyContainer(deployment("api"));
      expect(api.ports?.find((p) => p.name === "http")?.containerPort).toBe(config.apiPort);
      for (const name of ["api", "worker"]) {
        const metrics = onlyContainer(deployment(name)).ports?.find((p) => p.name === "metrics");
        expect(metrics?.containerPort, name).toBe(config.metricsPort);
      }
    });
  });

  describe("Prometheus", () => {
    test("its ConfigMap holds prometheus.yml and the rule files byte for byte", () => {
      const data = configMapData(generatedConfigMap(objects, "prometheus-config"));
      const files = ["prometheus.yml", ...(readPrometheusConfig().rule_files ?? [])];
      expect(Object.keys(data).sort()).toEqual([...files].sort());
      for (const file of files) {
        expect(data[file], file).toBe(readRepoFile(`observability/prometheus/${file}`));
      }
    });

    test("loads that ConfigMap as /etc/prometheus", () => {
      const prometheus = deployment("prometheus");
      const name = generatedConfigMap(objects, "prometheus-config").metadata.name;
      expect(mountPathOf(prometheus, name)).toBe("/etc/prometheus");
      expect(onlyContainer(prometheus).args).toContain(
        "--config.file=/etc/prometheus/prometheus.yml",
      );
    });

    test("every scrape target is a Service on the metrics port, headless for DNS discovery", () => {
      const targets = scrapeTargets();
      expect(targets.length).toBeGreaterThan(0);
      for (const target of targets) {
        const svc = find<K8sObject & IService>(objects, "Service", target.host);
        const port = svc.spec?.ports?.find((p) => p.port === target.port);
        expect(port?.name, target.host).toBe("metrics");
        if (target.discovery === "dns") expect(svc.spec?.clusterIP, target.host).toBe("None");
      }
    });

    test("uses the same image as docker-compose.yml", () => {
      const compose = readCompose();
      expect(onlyContainer(deployment("prometheus")).image).toBe(
        service(compose, "prometheus").image,
      );
      expect(onlyContainer(deployment("grafana")).image).toBe(service(compose, "grafana").image);
    });
  });

  describe("Grafana", () => {
    const folders = {
      "grafana-datasources": "grafana/provisioning/datasources",
      "grafana-dashboard-providers": "grafana/provisioning/dashboards",
      "grafana-dashboards": "grafana/dashboards",
    };

    test("each ConfigMap holds every file of its folder byte for byte", () => {
      for (const [configMap, folder] of Object.entries(folders)) {
        const data = configMapData(generatedConfigMap(objects, configMap));
        const files = filesIn(`observability/${folder}`);
        expect(Object.keys(data).sort(), folder).toEqual(files);
        for (const file of files) {
          expect(data[file], file).toBe(readRepoFile(`observability/${folder}/${file}`));
        }
      }
      const dashboards = configMapData(generatedConfigMap(objects, "grafana-dashboards"));
      expect(Object.keys(dashboards)).toContain("crpipeline.json");
    });

    test("mounts provisioning where Grafana reads it and dashboards where the provider looks", () => {
      const grafana = deployment("grafana");
      const mount = (configMap: string) =>
        mountPathOf(grafana, generatedConfigMap(objects, configMap).metadata.name);
      expect(mount("grafana-datasources")).toBe("/etc/grafana/provisioning/datasources");
      expect(mount("grafana-dashboard-providers")).toBe("/etc/grafana/provisioning/dashboards");
      const { dashboardPaths } = grafanaProvisioning();
      expect(dashboardPaths).toEqual([mount("grafana-dashboards") ?? "unmounted"]);
    });

    test("its datasource URL reaches the Prometheus Service", () => {
      const { datasourceUrls } = grafanaProvisioning();
      expect(datasourceUrls.length).toBeGreaterThan(0);
      for (const url of datasourceUrls) {
        const { host, port } = hostAndPort(url);
        const svc = find<K8sObject & IService>(objects, "Service", host);
        expect(svc.spec?.ports?.map((p) => p.port)).toContain(port);
      }
    });

    test("takes its admin login from a Secret", () => {
      const refs = onlyContainer(deployment("grafana")).envFrom ?? [];
      const secretName = refs.find((r) => r.secretRef)?.secretRef?.name ?? "";
      const secret = find<K8sObject & { stringData?: Record<string, string> }>(
        objects,
        "Secret",
        secretName,
      );
      expect(Object.keys(secret.stringData ?? {}).sort()).toEqual([
        "GF_SECURITY_ADMIN_PASSWORD",
        "GF_SECURITY_ADMIN_USER",
      ]);
    });
  });
});
