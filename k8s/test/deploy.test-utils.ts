/** Helpers for the deployment-file tests: repository paths, YAML, config names, compose vars. */

import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { settings } from "@crpipeline/config";
import { parse } from "yaml";

export const REPO_ROOT = resolve(import.meta.dir, "../..");

export const repoPath = (...parts: string[]): string => join(REPO_ROOT, ...parts);

export const readRepoFile = (path: string): string => readFileSync(repoPath(path), "utf8");

/** Parses YAML with `<<` merge keys, which docker-compose.yml uses for shared settings. */
export function parseYaml<T>(text: string): T {
  return parse(text, { merge: true }) as T;
}

export const readRepoYaml = <T>(path: string): T => parseYaml<T>(readRepoFile(path));

/** Files directly inside a repository folder, sorted: what a generator must package. */
export const filesIn = (folder: string): string[] =>
  readdirSync(repoPath(folder), { withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => entry.name)
    .sort();

/** Every environment variable name packages/config reads. */
export const CONFIG_ENV_NAMES: ReadonlySet<string> = new Set(
  Object.values(settings).map((setting) => setting.env),
);

export const DEFAULT_API_PORT = settings.apiPort.default;
export const DEFAULT_METRICS_PORT = settings.metricsPort.default;

/** Scripts of the root package.json, which `bun run <name>` commands must name. */
export function rootScripts(): Record<string, string> {
  const manifest = JSON.parse(readRepoFile("package.json")) as { scripts?: Record<string, string> };
  return manifest.scripts ?? {};
}

/** The Bun version pinned in package.json `packageManager` ("bun@1.4.5" → "1.4.5"). */
export function pinnedBunVersion(): string {
  const manifest = JSON.parse(readRepoFile("package.json")) as { packageManager?: string };
  const match = /^bun@(\d+\.\d+\.\d+)$/.exec(manifest.packageManager ?? "");
  if (!match?.[1]) throw new Error(`package.json packageManager is not bun@x.y.z`);
  return match[1];
}

/**
 * Resolves compose interpolation as `docker compose` would with an empty shell environment:
 * `${VAR:-default}` and `${VAR-default}` become the default, `$$` a literal `$`. A variable
 * without a default (`$VAR`, `${VAR}`, `${VAR:?error}`) throws, because the stack would then
 * depend on whatever the operator's shell happens to hold.
 */
export function interpolateDefaults(value: string): string {
  return value.replace(/\$\$|\$\{([^}]*)\}|\$([A-Za-z_]\w*)/g, (match, braced?: string) => {
    if (match === "$$") return "$";
    const expression = /^([A-Za-z_]\w*)(:?-)(.*)$/s.exec(braced ?? "");
    if (!expression) throw new Error(`compose variable ${match} has no default`);
    return expression[3] ?? "";
  });
}

/** `host:port` of a URL, or of a Prometheus target written without a scheme. */
export function hostAndPort(target: string): { host: string; port: number } {
  const url = new URL(target.includes("://") ? target : `http://${target}`);
  const port = Number(url.port || (url.protocol === "https:" ? 443 : 80));
  return { host: url.hostname, port };
}

/** The parts of prometheus.yml the deployment files must agree with. */
export interface PrometheusConfig {
  rule_files?: string[];
  scrape_configs: {
    job_name: string;
    metrics_path?: string;
    static_configs?: { targets: string[] }[];
    dns_sd_configs?: { names: string[]; type?: string; port?: number }[];
  }[];
}

export const readPrometheusConfig = (): PrometheusConfig =>
  readRepoYaml<PrometheusConfig>("observability/prometheus/prometheus.yml");

export interface ScrapeTarget {
  host: string;
  port: number;
  path: string;
  /** `dns`: every address the name resolves to is its own target (needs headless Services). */
  discovery: "static" | "dns";
}

/** Every host Prometheus scrapes, static or found through DNS, with port and metrics path. */
export function scrapeTargets(): ScrapeTarget[] {
  return readPrometheusConfig().scrape_configs.flatMap((job) => {
    const path = job.metrics_path ?? "/metrics";
    const fixed = (job.static_configs ?? []).flatMap((group) =>
      group.targets.map((target) => ({ ...hostAndPort(target), discovery: "static" as const })),
    );
    const discovered = (job.dns_sd_configs ?? []).flatMap((sd) =>
      sd.names.map((host) => {
        // Prometheus defaults to SRV records, which carry their own port; A and AAAA lookups
        // take the port from the config.
        const type = sd.type ?? "SRV";
        if (!["A", "AAAA"].includes(type) || sd.port === undefined) {
          throw new Error(`${job.job_name}: only A/AAAA DNS discovery with a port is understood`);
        }
        return { host, port: sd.port, discovery: "dns" as const };
      }),
    );
    return [...fixed, ...discovered].map((target) => ({ ...target, path }));
  });
}

/** The Grafana provisioning files: datasource URLs and the dashboard provider's folder. */
export function grafanaProvisioning(): { datasourceUrls: string[]; dashboardPaths: string[] } {
  const datasourceUrls = filesIn("observability/grafana/provisioning/datasources").flatMap(
    (file) =>
      readRepoYaml<{ datasources?: { url?: string }[] }>(
        `observability/grafana/provisioning/datasources/${file}`,
      ).datasources?.flatMap((source) => (source.url ? [source.url] : [])) ?? [],
  );
  const dashboardPaths = filesIn("observability/grafana/provisioning/dashboards").flatMap(
    (file) =>
      readRepoYaml<{ providers?: { options?: { path?: string } }[] }>(
        `observability/grafana/provisioning/dashboards/${file}`,
      ).providers?.flatMap((provider) => (provider.options?.path ? [provider.options.path] : [])) ??
      [],
  );
  return { datasourceUrls, dashboardPaths };
}
