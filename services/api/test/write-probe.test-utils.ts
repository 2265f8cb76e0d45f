/**
 * What a write could leave behind for a tenant, read before and after, and the writes an org
 * admin may make: for tests proving that a refused write wrote nothing.
 */

import { expect } from "bun:test";
import { journalCounts } from "@crpipeline/db";
import {
  type Auth,
  PASSWORD,
  type Reply,
  type Tenant,
  type TestApi,
  unique,
} from "./api.test-utils.ts";
import { OCR_PIPELINE } from "./fixtures.test-utils.ts";

/** The status and JSON body of a `call` reply or of a raw response (uploads). */
export const answerOf = async (reply: Reply | Response) =>
  reply instanceof Response
    ? { status: reply.status, body: (await reply.json()) as Record<string, unknown> }
    : { status: reply.status, body: reply.body };

/** A 401 whose body is exactly `{ error: { code, message } }`; `what` names the request. */
export async function expectRefused(what: string, reply: Reply | Response, code?: string) {
  const { status, body } = await answerOf(reply);
  if (status !== 401)
    throw new Error(`${what}: expected 401, got ${status}: ${JSON.stringify(body)}`);
  expect(Object.keys(body)).toEqual(["error"]);
  const error = body.error as Record<string, unknown>;
  expect(Object.keys(error).sort()).toEqual(["code", "message"]);
  expect(typeof error.code).toBe("string");
  expect(typeof error.message).toBe("string");
  if (code) expect({ what, code: error.code }).toEqual({ what, code });
}

/** The tenant whose state is probed, with a pipeline and a document its writes may use. */
export interface ProbeTarget {
  tenant: Tenant;
  pipelineId: string;
  documentId: string;
}

/** Reads as the tenant's org admin that must succeed: a failed read never passes as "no change". */
export function tenantReads(api: () => TestApi, tenant: () => Tenant) {
  const read = async (path: string, auth: Auth = tenant().admin.token) => {
    const reply = await api().call("GET", path, auth);
    if (reply.status !== 200) {
      throw new Error(`GET ${path} answered ${reply.status}: ${JSON.stringify(reply.body)}`);
    }
    return reply.body;
  };
  const total = async (path: string, auth?: Auth) => (await read(path, auth)).total as number;

  return { read, total };
}

export function writeProbe(api: () => TestApi, target: () => ProbeTarget) {
  const { read, total } = tenantReads(api, () => target().tenant);

  /** Everything a write could leave for the tenant: rows, settings, usage, audit, objects. */
  const written = async () => {
    const [documents, pipelines, jobs, users, audit, settings, usage] = await Promise.all([
      total("/api/documents"),
      total("/api/pipelines"),
      total("/api/jobs"),
      total("/api/users"),
      total("/api/audit"),
      read("/api/settings"),
      read("/api/usage"),
    ]);
    const objects = await api().runtime.store.list(`orgs/${target().tenant.org.id}/`);
    return {
      documents,
      pipelines,
      jobs,
      users,
      audit,
      settings,
      usage,
      objects: objects.map((o) => o.key).sort(),
      journal: await journalCounts(api().runtime.db),
    };
  };

  /** Writes an org admin may make, each new every time, and what each one shows up in. */
  const writes: {
    name: string;
    status: number;
    shows: keyof Awaited<ReturnType<typeof written>>;
    send: (auth: Auth) => Promise<Reply | Response>;
  }[] = [
    {
      name: "POST /api/documents",
      status: 201,
      shows: "objects",
      send: (auth) => api().upload(auth, { name: `${unique("doc")}.txt`, bytes: "keep me" }),
    },
    {
      name: "POST /api/documents with pipelineId",
      status: 201,
      shows: "jobs",
      send: (auth) =>
        api().upload(
          auth,
          { name: `${unique("doc")}.txt`, bytes: "run me" },
          { pipelineId: target().pipelineId },
        ),
    },
    {
      name: "POST /api/pipelines",
      status: 201,
      shows: "pipelines",
      send: (auth) =>
        api().call("POST", "/api/pipelines", auth, { ...OCR_PIPELINE, name: unique("pipeline") }),
    },
    {
      name: "POST /api/users",
      status: 201,
      shows: "users",
      send: (auth) =>
        api().call("POST", "/api/users", auth, {
          email: `${unique("new")}@tokens.test`,
          password: PASSWORD,
          role: "org_admin",
        }),
    },
    {
      name: "PUT /api/settings",
      status: 200,
      shows: "settings",
      send: (auth) =>
        api().call("PUT", "/api/settings", auth, {
          promptTemplates: { [unique("template")]: "Summarise {{text}}" },
        }),
    },
    {
      name: "POST /api/jobs",
      status: 201,
      shows: "jobs",
      send: (auth) =>
        api().call("POST", "/api/jobs", auth, {
          documentId: target().documentId,
          pipelineId: target().pipelineId,
        }),
    },
  ];

  return { written, writes };
}
