/** docker-compose.yml agrees with the config schema, the repository and prometheus.yml. */

import { describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { ConfigError, loadConfig } from "@crpipeline/config";
import {
  APP_SERVICES,
  bunRunScript,
  dependsOn,
  hasHealthcheck,
  healthcheckText,
  isOneShot,
  mounts,
  publishedPorts,
  readCompose,
  resolvedEnv,
  service,
} from "./compose.test-utils.ts";
import {
  CONFIG_ENV_NAMES,
  DEFAULT_API_PORT,
  DEFAULT_METRICS_PORT,
  grafanaProvisioning,
  hostAndPort,
  interpolateDefaults,
  readPrometheusConfig,
  repoPath,
  rootScripts,
  scrapeTargets,
} from "./deploy.test-utils.ts";

const compose = readCompose();
const names = Object.keys(compose.services);

describe("docker-compose.yml structure", () => {
  test("parses, names the project and has no obsolete top-level version", () => {
    expect(compose.version).toBeUndefined();
    expect(compose.name).toBe("crpipeline");
    for (const wanted of [
      "api",
      "worker",
      "migrate",
      "postgres",
      "redis",
      "minio",
      "minio-init",
      "prometheus",
      "grafana",
    ]) {
      expect(names).toContain(wanted);
    }
  });

  test("every service has a health check or is a one-shot that others wait for", () => {
    const unchecked = names.filter(
      (name) => !hasHealthcheck(service(compose, name)) && !isOneShot(compose, name),
    );
    expect(unchecked).toEqual([]);
    expect(isOneShot(compose, "migrate")).toBe(true);
    expect(isOneShot(compose, "minio-init")).toBe(true);
  });

  test("every depends_on condition can be met by its target", () => {
    for (const [name, svc] of Object.entries(compose.services)) {
      for (const [target, condition] of Object.entries(dependsOn(svc))) {
        const why = `${name} → ${target} (${condition})`;
        expect(names, why).toContain(target);
        if (condition === "service_healthy") {
          expect(hasHealthcheck(service(compose, target)), why).toBe(true);
        } else {
          expect(condition, why).toBe("service_completed_successfully");
          expect(isOneShot(compose, target), why).toBe(true);
        }
      }
    }
    for (const app of ["api", "worker"]) {
      expect(dependsOn(service(compose, app))).toMatchObject({
        migrate: "service_completed_successfully",
        postgres: "service_healthy",
      });
    }
  });

  test("every mounted host path exists and every named volume is declared and used", () => {
    const declared = Object.keys(compose.volumes ?? {});
    const used = new Set<string>();
    for (const [name, svc] of Object.entries(compose.services)) {
      for (const mount of mounts(svc)) {
        if (mount.named) {
          expect(declared, `${name}: volume ${mount.source}`).toContain(mount.source);
          used.add(mount.source);
        } else {
          expect(existsSync(repoPath(mount.source)), `${name}: ${mount.source}`).toBe(true);
        }
      }
    }
    expect([...used].sort()).toEqual([...declared].sort());
  });

  test("app commands are root package.json scripts", () => {
    const scripts = rootScripts();
    const expected = { api: "api", worker: "worker", migrate: "migrate" };
    for (const [name, script] of Object.entries(expected)) {
      expect(bunRunScript(service(compose, name).command)).toBe(script);
      expect(Object.keys(scripts)).toContain(script);
    }
  });
});

describe("docker-compose.yml app environment", () => {
  test("names only variables packages/config reads", () => {
    for (const name of APP_SERVICES) {
      const unknown = Object.keys(resolvedEnv(service(compose, name))).filter(
        (key) => !CONFIG_ENV_NAMES.has(key),
      );
      expect(unknown, name).toEqual([]);
    }
  });

  test("is accepted by loadConfig with its defaults, in production mode", () => {
    for (const name of APP_SERVICES) {
      const config = loadConfig(resolvedEnv(service(compose, name)));
      expect(config.nodeEnv, name).toBe("production");
      expect(config.jwtSecret?.length ?? 0, name).toBeGreaterThanOrEqual(32);
      expect(config.databaseUrl, name).toStartWith("postgres://");
    }
  });

  test("the JWT_SECRET default is marked as a development value, and a short one is refused", () => {
    const env = resolvedEnv(service(compose, "api"));
    expect(env.JWT_SECRET).toContain("dev-only");
    expect(() => loadConfig({ ...env, JWT_SECRET: "short" })).toThrow(ConfigError);
  });

  test("points at services of this file, with the credentials they were given", () => {
    const env = resolvedEnv(service(compose, "worker"));
    const config = loadConfig(env);
    for (const url of [config.databaseUrl, config.s3Endpoint, config.redisUrl]) {
      expect(names).toContain(hostAndPort(url ?? "").host);
    }

    const postgres = resolvedEnv(service(compose, "postgres"));
    const database = new URL(config.databaseUrl ?? "");
    expect(database.username).toBe(postgres.POSTGRES_USER ?? "");
    expect(database.password).toBe(postgres.POSTGRES_PASSWORD ?? "");
    expect(database.pathname).toBe(`/${postgres.POSTGRES_DB}`);

    const minio = resolvedEnv(service(compose, "minio"));
    expect(config.awsAccessKeyId).toBe(minio.MINIO_ROOT_USER);
    expect(config.awsSecretAccessKey).toBe(minio.MINIO_ROOT_PASSWORD);
    expect(resolvedEnv(service(compose, "minio-init")).S3_BUCKET).toBe(config.s3Bucket);
  });
});

describe("docker-compose.yml ports and metrics", () => {
  const api = loadConfig(resolvedEnv(service(compose, "api")));
  const worker = loadConfig(resolvedEnv(service(compose, "worker")));

  test("api and worker use the default API and metrics ports", () => {
    expect(api.apiPort).toBe(DEFAULT_API_PORT);
    expect(api.metricsPort).toBe(DEFAULT_METRICS_PORT);
    expect(worker.metricsPort).toBe(DEFAULT_METRICS_PORT);
    expect(publishedPorts(service(compose, "api")).map((p) => p.container)).toEqual([api.apiPort]);
  });

  test("health checks probe the configured ports", () => {
    expect(healthcheckText(service(compose, "api"))).toContain(`:${api.apiPort}/readyz`);
    expect(healthcheckText(service(compose, "worker"))).toContain(`:${worker.metricsPort}/metrics`);
  });

  test("no service publishes the metrics port on the host (node_exporter's port)", () => {
    for (const [name, svc] of Object.entries(compose.services)) {
      const hostPorts = publishedPorts(svc).map((p) => p.host);
      expect(hostPorts, name).not.toContain(DEFAULT_METRICS_PORT);
    }
  });

  test("prometheus.yml scrapes exactly api and worker on their metrics port", () => {
    const targets = scrapeTargets();
    expect(targets.map((t) => t.host).sort()).toEqual(["api", "worker"]);
    for (const target of targets) {
      const config = target.host === "api" ? api : worker;
      expect(target.port).toBe(config.metricsPort);
      expect(target.path).toBe("/metrics");
    }
  });

  test("prometheus gets prometheus.yml and every rule file it names", () => {
    const prometheus = service(compose, "prometheus");
    const mounted = new Map(mounts(prometheus).map((m) => [m.target, m.source]));
    expect(mounted.get("/etc/prometheus/prometheus.yml")).toBe(
      "./observability/prometheus/prometheus.yml",
    );
    for (const file of readPrometheusConfig().rule_files ?? []) {
      expect(mounted.get(`/etc/prometheus/${file}`)).toBe(`./observability/prometheus/${file}`);
    }
    expect(publishedPorts(prometheus).map((p) => p.container)).toContain(9090);
  });

  test("grafana is provisioned from observability/ and reaches the prometheus service", () => {
    const grafana = service(compose, "grafana");
    const mounted = new Map(mounts(grafana).map((m) => [m.target, m.source]));
    expect(mounted.get("/etc/grafana/provisioning")).toBe("./observability/grafana/provisioning");

    const { datasourceUrls, dashboardPaths } = grafanaProvisioning();
    expect(dashboardPaths.length).toBeGreaterThan(0);
    for (const path of dashboardPaths) {
      expect(mounted.get(path)).toBe("./observability/grafana/dashboards");
    }
    expect(datasourceUrls.length).toBeGreaterThan(0);
    for (const url of datasourceUrls) {
      const { host, port } = hostAndPort(url);
      expect(names).toContain(host);
      expect(healthcheckText(service(compose, host))).toContain(`:${port}/`);
    }

    expect(publishedPorts(grafana).map((p) => p.container)).toEqual([3000]);
    const env = grafana.environment as Record<string, string>;
    expect(env.GF_SECURITY_ADMIN_PASSWORD).toMatch(/^\$\{GRAFANA_ADMIN_PASSWORD:-.+\}$/);
    expect(interpolateDefaults(env.GF_SECURITY_ADMIN_USER ?? "")).not.toBe("");
  });
});
