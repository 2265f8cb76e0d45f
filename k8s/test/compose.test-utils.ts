/** Reads docker-compose.yml into typed services and resolves what the tests compare. */

import { interpolateDefaults, readRepoYaml } from "./deploy.test-utils.ts";

export interface ComposeService {
  image?: string;
  build?: unknown;
  command?: string[] | string;
  environment?: Record<string, string | number | boolean | null> | string[];
  ports?: string[];
  volumes?: string[];
  healthcheck?: { test?: string[] | string; disable?: boolean };
  depends_on?: Record<string, { condition?: string }> | string[];
  restart?: string;
}

export interface ComposeFile {
  version?: unknown;
  name?: string;
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
}

/** The roles that run crPipeline code and therefore take its configuration. */
export const APP_SERVICES = ["api", "worker", "migrate"] as const;

export const readCompose = (): ComposeFile => readRepoYaml<ComposeFile>("docker-compose.yml");

export function service(compose: ComposeFile, name: string): ComposeService {
  const found = compose.services[name];
  if (!found) throw new Error(`docker-compose.yml has no service ${name}`);
  return found;
}

/** A service's environment with compose defaults applied, as the container would see it. */
export function resolvedEnv(svc: ComposeService): Record<string, string> {
  const raw = svc.environment ?? {};
  const pairs: [string, string][] = Array.isArray(raw)
    ? raw.map((item) => {
        const at = item.indexOf("=");
        return at < 0 ? [item, ""] : [item.slice(0, at), item.slice(at + 1)];
      })
    : Object.entries(raw).map(([key, value]) => [key, value === null ? "" : String(value)]);
  return Object.fromEntries(pairs.map(([key, value]) => [key, interpolateDefaults(value)]));
}

export function dependsOn(svc: ComposeService): Record<string, string> {
  const raw = svc.depends_on ?? {};
  if (Array.isArray(raw)) return Object.fromEntries(raw.map((name) => [name, "service_started"]));
  return Object.fromEntries(
    Object.entries(raw).map(([name, entry]) => [name, entry.condition ?? "service_started"]),
  );
}

/** A one-shot runs to completion: it never restarts and someone waits for it to finish. */
export function isOneShot(compose: ComposeFile, name: string): boolean {
  const restart = service(compose, name).restart ?? "no";
  const awaited = Object.values(compose.services).some(
    (other) => dependsOn(other)[name] === "service_completed_successfully",
  );
  return restart === "no" && awaited;
}

export const hasHealthcheck = (svc: ComposeService): boolean =>
  Boolean(svc.healthcheck?.test) && svc.healthcheck?.disable !== true;

/** The healthcheck command as one string, defaults applied. */
export function healthcheckText(svc: ComposeService): string {
  const test = svc.healthcheck?.test ?? [];
  return interpolateDefaults(Array.isArray(test) ? test.join(" ") : test);
}

export interface Mount {
  source: string;
  target: string;
  named: boolean;
}

/** Short-syntax volume entries; a source not starting with `.` or `/` is a named volume. */
export function mounts(svc: ComposeService): Mount[] {
  return (svc.volumes ?? []).map((entry) => {
    const [source = "", target = ""] = interpolateDefaults(entry).split(":");
    return { source, target, named: !/^[./~]/.test(source) };
  });
}

/** `[host, container]` port pairs of the short `ports` syntax ("8080:8080", "9090"). */
export function publishedPorts(svc: ComposeService): { host: number; container: number }[] {
  return (svc.ports ?? []).map((entry) => {
    const parts = interpolateDefaults(entry).split(":");
    const container = Number(parts.at(-1));
    const host = parts.length > 1 ? Number(parts.at(-2)) : container;
    return { host, container };
  });
}

/** The `bun run <script>` a service's command names, if it is one. */
export function bunRunScript(command: string[] | string | undefined): string | undefined {
  const words = Array.isArray(command) ? command : (command ?? "").split(/\s+/);
  return words[0] === "bun" && words[1] === "run" ? words[2] : undefined;
}
