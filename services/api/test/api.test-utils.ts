/**
 * Test harness: a real API on port 0 over a real runtime (SQLite or Postgres, S3), driven by fetch.
 */

import { afterAll, beforeAll, describe, setDefaultTimeout } from "bun:test";
import { request as httpRequest } from "node:http";
import { join } from "node:path";
import { loadConfig } from "@crpipeline/config";
import type { Engine } from "@crpipeline/db";
import { createTestDatabase, ENGINES, postgresAvailable } from "@crpipeline/db/db.test-utils";
import { silentLogger } from "@crpipeline/log";
import { openRuntime, type Runtime } from "@crpipeline/runtime";
import { tempDir } from "@crpipeline/testing";
import { type RunningApi, startApi } from "../src/server.ts";
import { OCR_PIPELINE } from "./fixtures.test-utils.ts";

/**
 * The global admin seeded through ADMIN_* variables. The e-mail is new for every API started
 * (see `adminEmail`): with a shared Redis the per-account login limit outlives a test run.
 */
export const ADMIN = { password: "admin-password-1", org: "Operators" } as const;

/** Every user the helpers create gets this password (long enough for the strength check). */
export const PASSWORD = "correct-horse-battery";

/** Who a request is sent as: a session token, an API key, a raw cookie header, or nobody. */
export type Auth = string | { apiKey: string } | { cookie: string } | undefined;

export interface Reply<T = Record<string, unknown>> {
  status: number;
  headers: Headers;
  body: T;
}

export interface Session {
  token: string;
  /** The `Set-Cookie` header the login answered with. */
  setCookie: string;
  user: { id: string; orgId: string; email: string; role: string };
}

export interface Tenant {
  org: { id: string; name: string };
  admin: Session;
  user: Session;
}

export interface TestApi {
  engine: Engine;
  url: string;
  runtime: Runtime;
  dataDir: string;
  /** The API's database; another API started with it as DATABASE_URL shares it. */
  databaseUrl: string;
  admin: Session;
  adminEmail: string;
  fetch(path: string, init?: RequestInit & { auth?: Auth }): Promise<Response>;
  /** A JSON request; `body` is sent as JSON unless it is a string (sent as is). */
  call<T = Record<string, unknown>>(
    method: string,
    path: string,
    auth?: Auth,
    body?: unknown,
  ): Promise<Reply<NoInfer<T>>>;
  /** POST /api/auth/login from `from` (default: a fresh loopback address per call). */
  loginRaw(body: string, from?: string): Promise<Reply>;
  login(email: string, password: string, from?: string): Promise<Session>;
  createOrg(name: string, quotas?: Record<string, number>): Promise<{ id: string; name: string }>;
  createUser(auth: Auth, input: Record<string, unknown>): Promise<Session["user"]>;
  createApiKey(auth: Auth, name: string): Promise<{ id: string; key: string }>;
  /** OCR_PIPELINE under a unique name (names are unique per organisation). */
  createPipeline(auth: Auth): Promise<{ id: string; name: string }>;
  /** A new organisation with an org_admin and a user, both logged in. */
  createTenant(label: string): Promise<Tenant>;
  upload(auth: Auth, file: UploadFile, fields?: Record<string, string>): Promise<Response>;
  scrape(): Promise<string>;
  stop(): Promise<void>;
}

export interface UploadFile {
  name: string;
  bytes: Uint8Array | string;
  type?: string;
}

let uniqueCounter = 0;
/** A name no other test in this process uses. */
export const unique = (label: string) =>
  `${label}-${++uniqueCounter}-${crypto.randomUUID().slice(0, 8)}`;

/**
 * A random 127.x.y.z address: logins sent from it look like a new client, so the per-address
 * login limit (10 a minute) only trips where a test means it to.
 */
export const loopbackAddress = () => {
  const byte = (min: number) => min + Math.floor(Math.random() * (255 - min));
  return `127.${byte(1)}.${byte(0)}.${byte(1)}`;
};

function authHeaders(auth: Auth): Record<string, string> {
  if (auth === undefined) return {};
  if (typeof auth === "string") return { authorization: `Bearer ${auth}` };
  if ("apiKey" in auth) return { "x-api-key": auth.apiKey };
  return { cookie: auth.cookie };
}

/** One HTTP request from a chosen local address (fetch cannot pick its source address). */
function requestFrom(
  url: string,
  init: { method: string; headers: Record<string, string>; body: string },
  localAddress: string,
): Promise<{ status: number; headers: Headers; text: string }> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      url,
      { method: init.method, headers: init.headers, localAddress },
      (response) => {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("end", () => {
          const headers = new Headers();
          for (const [name, value] of Object.entries(response.headers)) {
            for (const v of [value ?? []].flat()) headers.append(name, v);
          }
          resolve({
            status: response.statusCode ?? 0,
            headers,
            text: Buffer.concat(chunks).toString(),
          });
        });
        response.on("error", reject);
      },
    );
    request.on("error", reject);
    request.end(init.body);
  });
}

const parse = (text: string) => {
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch {
    return { raw: text };
  }
};

/** Starts a runtime and the API for `engine`; ADMIN is seeded through ADMIN_* variables. */
export async function startTestApi(
  engine: Engine,
  env: Record<string, string> = {},
): Promise<TestApi> {
  const adminEmail = `${unique("root")}@admin.test`;
  // A second API on the same database passes DATABASE_URL and gets no database of its own.
  const database = env.DATABASE_URL ? undefined : await createTestDatabase(engine);
  const dir = tempDir("crp-api-");
  let runtime: Runtime | undefined;
  let api: RunningApi | undefined;
  const stop = async () => {
    // A short grace: a test that leaves a refused upload half-sent would otherwise hold it open.
    await api?.stop(1_000);
    await runtime?.close();
    await database?.cleanup();
    dir.cleanup();
  };
  try {
    const config = loadConfig({
      DATA_DIR: dir.path,
      DATABASE_URL: database?.url,
      API_HOST: "0.0.0.0",
      API_PORT: "0",
      LOG_LEVEL: "silent",
      ADMIN_EMAIL: adminEmail,
      ADMIN_PASSWORD: ADMIN.password,
      ADMIN_ORG: ADMIN.org,
      ...env,
    });
    runtime = await openRuntime({ config, logger: silentLogger, serveMetrics: false });
    api = await startApi(runtime, { port: 0 });
  } catch (error) {
    await stop();
    throw error;
  }
  const started = { runtime, url: api.url };

  const fetchApi: TestApi["fetch"] = (path, init = {}) => {
    const { auth, headers, ...rest } = init;
    return fetch(`${started.url}${path}`, {
      ...rest,
      headers: { ...authHeaders(auth), ...(headers as Record<string, string> | undefined) },
    });
  };

  const call: TestApi["call"] = async (method, path, auth, body) => {
    const response = await fetchApi(path, {
      method,
      auth,
      headers: body === undefined ? {} : { "content-type": "application/json" },
      body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
    });
    const text = await response.text();
    // biome-ignore lint/suspicious/noExplicitAny: each test names the shape it expects
    return { status: response.status, headers: response.headers, body: parse(text) as any };
  };

  const loginRaw: TestApi["loginRaw"] = async (body, from = loopbackAddress()) => {
    const answer = await requestFrom(
      `${started.url}/api/auth/login`,
      { method: "POST", headers: { "content-type": "application/json" }, body },
      from,
    );
    return { status: answer.status, headers: answer.headers, body: parse(answer.text) };
  };

  const login: TestApi["login"] = async (email, password, from) => {
    const reply = await loginRaw(JSON.stringify({ email, password }), from);
    if (reply.status !== 200) {
      throw new Error(`login ${email} answered ${reply.status}: ${JSON.stringify(reply.body)}`);
    }
    return {
      token: reply.body.token as string,
      setCookie: reply.headers.get("set-cookie") ?? "",
      user: reply.body.user as Session["user"],
    };
  };

  const expect201 = <T>(reply: Reply<T>, what: string): T => {
    if (reply.status !== 201) {
      throw new Error(`${what} answered ${reply.status}: ${JSON.stringify(reply.body)}`);
    }
    return reply.body;
  };

  const admin = await login(adminEmail, ADMIN.password).catch(async (error) => {
    await stop();
    throw error;
  });

  const createOrg: TestApi["createOrg"] = async (name, quotas = {}) => {
    const reply = await call<{ organisation: { id: string; name: string } }>(
      "POST",
      "/api/orgs",
      admin.token,
      { name, ...quotas },
    );
    return expect201(reply, "POST /api/orgs").organisation;
  };

  const createUser: TestApi["createUser"] = async (auth, input) => {
    const reply = await call<{ user: Session["user"] }>("POST", "/api/users", auth, {
      password: PASSWORD,
      ...input,
    });
    return expect201(reply, "POST /api/users").user;
  };

  const createApiKey: TestApi["createApiKey"] = async (auth, name) => {
    const reply = await call<{ apiKey: { id: string }; key: string }>(
      "POST",
      "/api/api-keys",
      auth,
      { name },
    );
    const body = expect201(reply, "POST /api/api-keys");
    return { id: body.apiKey.id, key: body.key };
  };

  const createPipeline: TestApi["createPipeline"] = async (auth) => {
    const reply = await call<{ pipeline: { id: string; name: string } }>(
      "POST",
      "/api/pipelines",
      auth,
      { ...OCR_PIPELINE, name: unique("pipeline") },
    );
    return expect201(reply, "POST /api/pipelines").pipeline;
  };

  const createTenant: TestApi["createTenant"] = async (label) => {
    const org = await createOrg(unique(label));
    const orgAdminEmail = `${unique("admin")}@${label}.test`.toLowerCase();
    const userEmail = `${unique("user")}@${label}.test`.toLowerCase();
    await createUser(admin.token, { email: orgAdminEmail, role: "org_admin", orgId: org.id });
    await createUser(admin.token, { email: userEmail, role: "user", orgId: org.id });
    return {
      org,
      admin: await login(orgAdminEmail, PASSWORD),
      user: await login(userEmail, PASSWORD),
    };
  };

  const upload: TestApi["upload"] = (auth, file, fields = {}) => {
    const form = new FormData();
    for (const [name, value] of Object.entries(fields)) form.append(name, value);
    form.append("file", new Blob([file.bytes], { type: file.type ?? "" }), file.name);
    return fetchApi("/api/documents", { method: "POST", auth, body: form });
  };

  return {
    engine,
    url: started.url,
    runtime: started.runtime,
    dataDir: dir.path,
    databaseUrl: started.runtime.config.databaseUrl ?? "",
    admin,
    adminEmail,
    fetch: fetchApi,
    call,
    loginRaw,
    login,
    createOrg,
    createUser,
    createApiKey,
    createPipeline,
    createTenant,
    upload,
    scrape: () => started.runtime.telemetry.scrape(),
    stop,
  };
}

/** The generated JWT signing secret of an API started without JWT_SECRET. */
export async function jwtSecretOf(api: TestApi): Promise<Uint8Array> {
  const text = await Bun.file(join(api.dataDir, "jwt-secret")).text();
  return new Uint8Array(Buffer.from(text.trim(), "base64url"));
}

/**
 * Runs `body` once per engine, as `name [sqlite]` and `name [postgres]`, with one API per engine
 * started before the block's tests and stopped after them. Postgres is skipped outside CI when
 * no server answers, and fails under CI=true.
 */
export function describeEachApi(
  name: string,
  body: (api: () => TestApi) => void,
  env: Record<string, string> = {},
): void {
  // Every login and user creation runs argon2id: a few of them outlast bun's 5 s default.
  setDefaultTimeout(30_000);
  for (const engine of ENGINES) {
    describe.skipIf(engine === "postgres" && !postgresAvailable)(`${name} [${engine}]`, () => {
      let api: TestApi | undefined;
      beforeAll(async () => {
        api = await startTestApi(engine, env);
      }, 60_000);
      afterAll(async () => {
        await api?.stop();
        api = undefined;
      }, 30_000);
      body(() => {
        if (!api) throw new Error("the API runs only inside tests and hooks");
        return api;
      });
    });
  }
}
