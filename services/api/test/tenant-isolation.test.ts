/** Another organisation's ids answer 404 on every route that takes one, and change nothing. */

import { beforeAll, expect, test } from "bun:test";
import { upsertStageOutput } from "@crpipeline/db";
import {
  type Auth,
  describeEachApi,
  type Reply,
  type Tenant,
  type TestApi,
} from "./api.test-utils.ts";

interface Victim {
  tenant: Tenant;
  documentId: string;
  documentBytes: string;
  pipelineId: string;
  queuedJobId: string;
  canceledJobId: string;
  outputId: string;
  apiKey: { id: string; key: string };
}

async function seedVictim(api: TestApi): Promise<Victim> {
  const tenant = await api.createTenant("victim");
  const pipeline = await api.createPipeline(tenant.admin.token);
  const documentBytes = "victim's confidential text";
  const upload = await api.upload(
    tenant.user.token,
    { name: "secret-plans.txt", bytes: documentBytes },
    { pipelineId: pipeline.id },
  );
  const { document, job } = (await upload.json()) as {
    document: { id: string };
    job: { id: string };
  };
  const second = await api.call<{ job: { id: string } }>("POST", "/api/jobs", tenant.user.token, {
    documentId: document.id,
    pipelineId: pipeline.id,
  });
  const canceledJobId = second.body.job.id;
  await api.call("POST", `/api/jobs/${canceledJobId}/cancel`, tenant.user.token);
  const key = `orgs/${tenant.org.id}/jobs/${job.id}/0-ocr.json`;
  await api.runtime.store.put(key, '{"text":"secret"}', { contentType: "application/json" });
  const output = await upsertStageOutput(api.runtime.db, {
    jobId: job.id,
    orgId: tenant.org.id,
    index: 0,
    stage: "ocr",
    name: "json",
    storageKey: key,
    contentType: "application/json",
    size: 17,
  });
  return {
    tenant,
    documentId: document.id,
    documentBytes,
    pipelineId: pipeline.id,
    queuedJobId: job.id,
    canceledJobId,
    outputId: output.id,
    apiKey: await api.createApiKey(tenant.admin.token, "victim key"),
  };
}

/** What the victim's own view of its data is; compared before and after the attack. */
async function victimState(api: TestApi, victim: Victim) {
  const token = victim.tenant.admin.token;
  const get = async (path: string) => (await api.call("GET", path, token)).body;
  const content = await api.fetch(`/api/documents/${victim.documentId}/content`, { auth: token });
  return {
    document: await get(`/api/documents/${victim.documentId}`),
    content: await content.text(),
    pipeline: await get(`/api/pipelines/${victim.pipelineId}`),
    queued: await get(`/api/jobs/${victim.queuedJobId}`),
    canceled: await get(`/api/jobs/${victim.canceledJobId}`),
    users: await get("/api/users"),
    // Without lastUsedAt: using the key below moves it.
    keys: ((await get("/api/api-keys")).items as Record<string, unknown>[]).map(
      ({ lastUsedAt: _moves, ...key }) => key,
    ),
    documents: await get("/api/documents"),
    keyWorks: (await api.call("GET", "/api/auth/me", { apiKey: victim.apiKey.key })).status,
  };
}

function expectHidden(reply: Reply, victim: Victim) {
  expect(reply.status).toBe(404);
  expect(reply.body).toEqual({ error: { code: "not_found", message: expect.any(String) } });
  const text = JSON.stringify(reply.body);
  expect(text).not.toContain("secret");
  expect(text).not.toContain(victim.tenant.org.id);
}

describeEachApi("tenant isolation", (api) => {
  let attacker: Tenant;
  let attackerKey: string;
  let attackerPipeline: string;
  let attackerDocument: string;
  let attackerJob: string;
  let victim: Victim;
  let before: Awaited<ReturnType<typeof victimState>>;

  beforeAll(async () => {
    attacker = await api().createTenant("attacker");
    attackerKey = (await api().createApiKey(attacker.admin.token, "attacker key")).key;
    attackerPipeline = (await api().createPipeline(attacker.admin.token)).id;
    const upload = await api().upload(
      attacker.admin.token,
      { name: "mine.txt", bytes: "mine" },
      { pipelineId: attackerPipeline },
    );
    const body = (await upload.json()) as { document: { id: string }; job: { id: string } };
    attackerDocument = body.document.id;
    attackerJob = body.job.id;
    victim = await seedVictim(api());
    before = await victimState(api(), victim);
  });

  const attacks = (): [string, string, unknown?][] => [
    ["GET", `/api/documents/${victim.documentId}`],
    ["GET", `/api/documents/${victim.documentId}/content`],
    ["DELETE", `/api/documents/${victim.documentId}`],
    ["GET", `/api/pipelines/${victim.pipelineId}`],
    ["PUT", `/api/pipelines/${victim.pipelineId}`, { name: "owned", stages: [{ type: "report" }] }],
    ["DELETE", `/api/pipelines/${victim.pipelineId}`],
    ["POST", "/api/jobs", { documentId: victim.documentId, pipelineId: attackerPipeline }],
    ["POST", "/api/jobs", { documentId: attackerDocument, pipelineId: victim.pipelineId }],
    ["GET", `/api/jobs/${victim.queuedJobId}`],
    ["POST", `/api/jobs/${victim.queuedJobId}/cancel`],
    ["POST", `/api/jobs/${victim.canceledJobId}/retry`],
    ["GET", `/api/jobs/${victim.queuedJobId}/outputs/${victim.outputId}`],
    ["GET", `/api/jobs/${attackerJob}/outputs/${victim.outputId}`],
    ["GET", `/api/jobs/${victim.queuedJobId}/events`],
    ["DELETE", `/api/api-keys/${victim.apiKey.id}`],
    ["PATCH", `/api/users/${victim.tenant.user.user.id}`, { role: "org_admin", active: false }],
  ];

  const callers = (): [string, Auth][] => [
    ["org admin", attacker.admin.token],
    ["user", attacker.user.token],
    ["API key", { apiKey: attackerKey }],
  ];

  test("every id route answers 404 with the error shape to another organisation", async () => {
    for (const [who, auth] of callers()) {
      for (const [method, path, body] of attacks()) {
        const reply = await api().call(method, path, auth, body);
        // Users and API keys are refused admin-only routes (403) before any lookup happens.
        if (reply.status === 403) {
          expect(who).not.toBe("org admin");
          continue;
        }
        try {
          expectHidden(reply, victim);
        } catch (error) {
          throw new Error(
            `${who} ${method} ${path}: ${reply.status} ${JSON.stringify(reply.body)}`,
            {
              cause: error,
            },
          );
        }
      }
    }
  });

  test("an upload naming another organisation's pipeline is a 404 and writes nothing", async () => {
    const before = await api().call<{ total: number }>(
      "GET",
      "/api/documents",
      attacker.user.token,
    );
    const usage = await api().call("GET", "/api/usage", attacker.user.token);
    const reply = await api().upload(
      attacker.user.token,
      { name: "probe.txt", bytes: "probe" },
      { pipelineId: victim.pipelineId },
    );
    expectHidden(
      {
        status: reply.status,
        headers: reply.headers,
        body: (await reply.json()) as Record<string, unknown>,
      },
      victim,
    );
    const after = await api().call<{ total: number }>("GET", "/api/documents", attacker.user.token);
    expect(after.body.total).toBe(before.body.total);
    expect((await api().call("GET", "/api/usage", attacker.user.token)).body).toEqual(usage.body);
    const objects = await api().runtime.store.list(`orgs/${attacker.org.id}/documents/`);
    expect(objects.map((o) => o.key).every((k) => k.includes(attackerDocument))).toBe(true);
  });

  test("org admins cannot reach into another organisation through orgId", async () => {
    const list = await api().call(
      "GET",
      `/api/users?orgId=${victim.tenant.org.id}`,
      attacker.admin.token,
    );
    expect(list.status).toBe(403);
    const patch = await api().call(
      "PATCH",
      `/api/users/${victim.tenant.user.user.id}?orgId=${victim.tenant.org.id}`,
      attacker.admin.token,
      { active: false },
    );
    expect(patch.status).toBe(403);
    const create = await api().call("POST", "/api/users", attacker.admin.token, {
      email: "intruder@victim.test",
      password: "long-enough-password",
      orgId: victim.tenant.org.id,
    });
    expect(create.status).toBe(403);
  });

  test("lists never include another organisation's rows", async () => {
    const foreignIds = [victim.documentId, victim.pipelineId, victim.queuedJobId, victim.apiKey.id];
    for (const path of [
      "/api/documents?limit=100",
      "/api/pipelines?limit=100",
      "/api/jobs?limit=100",
      `/api/jobs?documentId=${victim.documentId}`,
      "/api/api-keys?limit=100",
      "/api/users?limit=100",
      "/api/audit?limit=100",
    ]) {
      const reply = await api().call("GET", path, attacker.admin.token);
      expect(reply.status).toBe(200);
      const text = JSON.stringify(reply.body);
      for (const id of [...foreignIds, victim.tenant.user.user.id]) expect(text).not.toContain(id);
    }
  });

  test("after all of it, the victim's data is exactly as it was", async () => {
    expect(await victimState(api(), victim)).toEqual(before);
    expect(before.content).toBe(victim.documentBytes);
    expect(before.keyWorks).toBe(200);
    expect(before.queued).toMatchObject({ job: { status: "queued" } });
  });
});
