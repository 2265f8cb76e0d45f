/** Happy paths of settings (write-only secrets), usage, the audit log, health and OpenAPI. */

import { beforeAll, expect, test } from "bun:test";
import { describeEachApi, type Tenant } from "./api.test-utils.ts";

interface AuditBody {
  items: {
    action: string;
    targetId: string | null;
    userId: string | null;
    details: unknown;
    ip: string | null;
  }[];
  nextCursor: string | null;
}

describeEachApi("settings, usage, audit, health and OpenAPI", (api) => {
  let tenant: Tenant;
  beforeAll(async () => {
    tenant = await api().createTenant("settings");
  });

  test("settings: templates and AI overrides are stored; secrets are write-only", async () => {
    const empty = await api().call("GET", "/api/settings", tenant.user.token);
    expect(empty.status).toBe(200);
    expect(empty.body).toEqual({
      settings: {
        promptTemplates: {},
        ai: { url: null, model: null },
        secrets: { aiApiKey: false, ocrKeys: [] },
      },
    });

    const secret = "sk-super-secret-value-123";
    const ocrSecret = "ocr-secret-value-456";
    const put = await api().call("PUT", "/api/settings", tenant.admin.token, {
      promptTemplates: { summary: "Summarise: {{text}}" },
      ai: { url: "https://ai.example.test/v1", model: "tiny-model" },
      secrets: { aiApiKey: secret, ocrKeys: { vendor: ocrSecret } },
    });
    expect(put.status).toBe(200);
    const expected = {
      settings: {
        promptTemplates: { summary: "Summarise: {{text}}" },
        ai: { url: "https://ai.example.test/v1", model: "tiny-model" },
        secrets: { aiApiKey: true, ocrKeys: ["vendor"] },
      },
    };
    expect(put.body).toEqual(expected);
    const got = await api().call("GET", "/api/settings", tenant.user.token);
    expect(got.body).toEqual(expected);

    // The values never come back: not in settings, not in the audit log.
    const audit = await api().call("GET", "/api/audit?limit=100", tenant.admin.token);
    for (const text of [
      JSON.stringify(put.body),
      JSON.stringify(got.body),
      JSON.stringify(audit),
    ]) {
      expect(text).not.toContain(secret);
      expect(text).not.toContain(ocrSecret);
    }

    const removed = await api().call("PUT", "/api/settings", tenant.admin.token, {
      promptTemplates: { summary: null },
      secrets: { aiApiKey: null },
    });
    expect(removed.body).toMatchObject({
      settings: { promptTemplates: {}, secrets: { aiApiKey: false, ocrKeys: ["vendor"] } },
    });
  });

  test("usage counts this month's uploads and jobs against the quotas", async () => {
    const fresh = await api().createTenant("usage");
    const before = await api().call("GET", "/api/usage", fresh.user.token);
    expect(before.status).toBe(200);
    expect(before.body).toEqual({
      usage: {
        period: new Date().toISOString().slice(0, 7),
        uploads: 0,
        jobs: 0,
        uploadQuota: null,
        jobQuota: null,
      },
    });
    const pipeline = await api().createPipeline(fresh.admin.token);
    const upload = await api().upload(
      fresh.user.token,
      { name: "a.txt", bytes: "counted" },
      { pipelineId: pipeline.id },
    );
    expect(upload.status).toBe(201);
    const after = await api().call("GET", "/api/usage", fresh.user.token);
    expect(after.body).toMatchObject({ usage: { uploads: 1, jobs: 1 } });
  });

  test("audit: logins, uploads, downloads, deletions, pipeline and user changes", async () => {
    const audited = await api().createTenant("audited");
    const admin = audited.admin.token;

    const pipeline = await api().createPipeline(admin);
    await api().call("PUT", `/api/pipelines/${pipeline.id}`, admin, {
      name: pipeline.name,
      stages: [{ type: "report" }],
    });
    await api().call("DELETE", `/api/pipelines/${pipeline.id}`, admin);
    const upload = await api().upload(audited.user.token, { name: "a.txt", bytes: "audit me" });
    const { document } = (await upload.json()) as { document: { id: string } };
    await (await api().fetch(`/api/documents/${document.id}/content`, { auth: admin })).text();
    await api().call("DELETE", `/api/documents/${document.id}`, admin);
    await api().call("PATCH", `/api/users/${audited.user.user.id}`, admin, { name: "Renamed" });
    await api().loginRaw(JSON.stringify({ email: audited.user.user.email, password: "wrong-pw" }));
    await api().fetch("/api/auth/logout", { method: "POST", auth: audited.user.token });

    const reply = await api().call<AuditBody>("GET", "/api/audit?limit=100", admin);
    expect(reply.status).toBe(200);
    const entries = reply.body.items;
    const find = (action: string, targetId?: string) =>
      entries.find(
        (e) => e.action === action && (targetId === undefined || e.targetId === targetId),
      );

    expect(find("auth.login", audited.admin.user.id)).toBeDefined();
    expect(find("auth.login", audited.user.user.id)).toBeDefined();
    expect(find("auth.login_failed", audited.user.user.id)?.details).toEqual({
      reason: "bad_password",
    });
    expect(find("user.create", audited.user.user.id)).toBeDefined();
    expect(find("user.update", audited.user.user.id)?.details).toMatchObject({ name: "Renamed" });
    for (const action of ["pipeline.create", "pipeline.update", "pipeline.delete"]) {
      expect(find(action, pipeline.id)).toBeDefined();
    }
    expect(find("document.upload", document.id)?.userId).toBe(audited.user.user.id);
    expect(find("document.download", document.id)?.userId).toBe(audited.admin.user.id);
    expect(find("document.delete", document.id)?.userId).toBe(audited.admin.user.id);
    expect(find("auth.logout")?.userId).toBe(audited.user.user.id);
    // Every entry made over HTTP records the client's (loopback) address.
    for (const entry of entries) {
      expect(`${entry.action} ${entry.ip}`).toMatch(/ 127\.\d+\.\d+\.\d+$/);
    }

    const filtered = await api().call<AuditBody>("GET", "/api/audit?action=document.delete", admin);
    expect(filtered.body.items.map((e) => e.action)).toEqual(["document.delete"]);
    // Other organisations' entries never show up.
    expect(entries.every((e) => e.userId !== tenant.admin.user.id)).toBe(true);
  });

  test("/healthz and /readyz answer without credentials", async () => {
    const health = await api().call("GET", "/healthz");
    expect(health).toMatchObject({ status: 200, body: { status: "ok" } });
    const ready = await api().call("GET", "/readyz");
    expect(ready.status).toBe(200);
    expect(ready.body).toEqual({ status: "ready", checks: { database: "ok", storage: "ok" } });
  });

  test("/api/openapi.json is a JSON OpenAPI document with the API's paths", async () => {
    const response = await api().fetch("/api/openapi.json");
    expect(response.status).toBe(200);
    const spec = (await response.json()) as { openapi: string; paths: Record<string, unknown> };
    expect(spec.openapi).toMatch(/^3\./);
    for (const path of [
      "/api/auth/login",
      "/api/documents",
      "/api/documents/{id}",
      "/api/jobs/{id}/events",
      "/api/settings",
    ]) {
      expect(Object.keys(spec.paths)).toContain(path);
    }
  });

  test("routes that read their own body still describe it: login, pipelines, uploads", async () => {
    const spec = (await (await api().fetch("/api/openapi.json")).json()) as {
      paths: Record<string, Record<string, { requestBody?: { content: Record<string, Body> } }>>;
    };
    interface Body {
      schema: { required?: string[]; properties?: Record<string, { type?: string }> };
    }
    const body = (path: string, method: string, type: string) =>
      spec.paths[path]?.[method]?.requestBody?.content[type]?.schema;

    const login = body("/api/auth/login", "post", "application/json");
    expect(login?.required?.sort()).toEqual(["email", "password"]);
    for (const [path, method] of [
      ["/api/pipelines", "post"],
      ["/api/pipelines/{id}", "put"],
    ] as const) {
      const pipeline = body(path, method, "application/json");
      expect(pipeline?.required?.sort()).toEqual(["name", "stages"]);
      expect(pipeline?.properties?.stages?.type).toBe("array");
    }
    const upload = body("/api/documents", "post", "multipart/form-data");
    expect(upload?.required).toEqual(["file"]);
    expect(Object.keys(upload?.properties ?? {}).sort()).toEqual(["file", "pipelineId"]);
  });
});
