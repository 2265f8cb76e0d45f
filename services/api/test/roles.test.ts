/** Role checks on the server, from the database: users, org admins, API keys, changed roles. */

import { beforeAll, expect, test } from "bun:test";
import { type Auth, describeEachApi, type Reply, type Tenant, unique } from "./api.test-utils.ts";
import { OCR_PIPELINE } from "./fixtures.test-utils.ts";

function expectForbidden(reply: Reply, what: string) {
  if (reply.status !== 403)
    throw new Error(`${what}: ${reply.status} ${JSON.stringify(reply.body)}`);
  expect(reply.body).toEqual({ error: { code: "forbidden", message: expect.any(String) } });
}

describeEachApi("roles", (api) => {
  let tenant: Tenant;
  beforeAll(async () => {
    tenant = await api().createTenant("roles");
  });

  const adminOnly = (): [string, string, unknown?][] => [
    ["POST", "/api/pipelines", { ...OCR_PIPELINE, name: unique("p") }],
    ["POST", "/api/users", { email: `${unique("u")}@roles.test`, password: "long-password-1" }],
    ["GET", "/api/users"],
    ["PATCH", `/api/users/${tenant.admin.user.id}`, { name: "hijack" }],
    ["POST", "/api/api-keys", { name: "sneaky" }],
    ["GET", "/api/api-keys"],
    ["PUT", "/api/settings", { promptTemplates: { x: "{{text}}" } }],
    ["GET", "/api/audit"],
    ["POST", "/api/orgs", { name: unique("org") }],
  ];

  test("a user and an API key get 403 on every admin route, and nothing changes", async () => {
    const { key } = await api().createApiKey(tenant.admin.token, "script");
    const pipelinesBefore = await api().call("GET", "/api/pipelines", tenant.admin.token);
    const usersBefore = await api().call("GET", "/api/users", tenant.admin.token);
    for (const auth of [tenant.user.token, { apiKey: key }] as Auth[]) {
      for (const [method, path, body] of adminOnly()) {
        expectForbidden(await api().call(method, path, auth, body), `${method} ${path}`);
      }
    }
    expect((await api().call("GET", "/api/pipelines", tenant.admin.token)).body).toEqual(
      pipelinesBefore.body,
    );
    expect((await api().call("GET", "/api/users", tenant.admin.token)).body).toEqual(
      usersBefore.body,
    );
    const settings = await api().call("GET", "/api/settings", tenant.admin.token);
    expect(settings.body).toMatchObject({ settings: { promptTemplates: {} } });
  });

  test("an org admin cannot create organisations or hand out the admin role", async () => {
    const admin = tenant.admin.token;
    expectForbidden(await api().call("POST", "/api/orgs", admin, { name: unique("o") }), "org");
    expectForbidden(
      await api().call("POST", "/api/users", admin, {
        email: `${unique("boss")}@roles.test`,
        password: "long-password-1",
        role: "admin",
      }),
      "create admin",
    );
    expectForbidden(
      await api().call("PATCH", `/api/users/${tenant.user.user.id}`, admin, { role: "admin" }),
      "promote to admin",
    );
    expectForbidden(
      await api().call("PATCH", `/api/users/${tenant.admin.user.id}`, admin, { active: false }),
      "deactivate self",
    );
    const me = await api().call("GET", "/api/auth/me", admin);
    expect(me.body).toMatchObject({ user: { role: "org_admin", active: true } });
  });

  test("the global admin can grant the admin role", async () => {
    const org = await api().createOrg(unique("Staff"));
    const user = await api().createUser(api().admin.token, {
      email: `${unique("second")}@staff.test`,
      orgId: org.id,
      role: "admin",
    });
    expect(user.role).toBe("admin");
  });

  test("a changed role takes effect on the next request with the same token", async () => {
    const email = `${unique("climber")}@roles.test`;
    const user = await api().createUser(tenant.admin.token, { email });
    const session = await api().login(email, "correct-horse-battery");
    const create = () =>
      api().call("POST", "/api/pipelines", session.token, { ...OCR_PIPELINE, name: unique("p") });

    expectForbidden(await create(), "as user");
    const promote = await api().call("PATCH", `/api/users/${user.id}`, tenant.admin.token, {
      role: "org_admin",
    });
    expect(promote.status).toBe(200);
    expect((await create()).status).toBe(201);

    await api().call("PATCH", `/api/users/${user.id}`, tenant.admin.token, { role: "user" });
    expectForbidden(await create(), "demoted again");
  });

  test("a deactivated user's token and API keys stop working at once", async () => {
    const email = `${unique("leaver")}@roles.test`;
    const user = await api().createUser(tenant.admin.token, { email, role: "org_admin" });
    const session = await api().login(email, "correct-horse-battery");
    const { key } = await api().createApiKey(session.token, "leaver's script");
    expect((await api().call("GET", "/api/documents", session.token)).status).toBe(200);
    expect((await api().call("GET", "/api/documents", { apiKey: key })).status).toBe(200);

    const off = await api().call("PATCH", `/api/users/${user.id}`, tenant.admin.token, {
      active: false,
    });
    expect(off.body).toMatchObject({ user: { active: false } });

    const withToken = await api().call("GET", "/api/documents", session.token);
    expect(withToken.status).toBe(401);
    expect(withToken.body).toEqual({
      error: { code: "user_inactive", message: expect.any(String) },
    });
    const withKey = await api().call("GET", "/api/documents", { apiKey: key });
    expect(withKey.status).toBe(401);
    const login = await api().loginRaw(
      JSON.stringify({ email, password: "correct-horse-battery" }),
    );
    expect(login.status).toBe(401);
    expect(login.body).toMatchObject({ error: { code: "account_inactive" } });
  });

  test("an API key acts as a user of its organisation: upload, jobs, deletes only its own uploads", async () => {
    const { id, key } = await api().createApiKey(tenant.admin.token, "uploader");
    const pipeline = await api().createPipeline(tenant.admin.token);
    const upload = await api().upload(
      { apiKey: key },
      { name: "from-script.txt", bytes: "scripted" },
      { pipelineId: pipeline.id },
    );
    expect(upload.status).toBe(201);
    const body = (await upload.json()) as {
      document: { id: string; apiKeyId: string; uploadedBy: string | null };
      job: { id: string; status: string };
    };
    expect(body.document).toMatchObject({ apiKeyId: id, uploadedBy: null });
    expect(body.job.status).toBe("queued");
    await api().call("POST", `/api/jobs/${body.job.id}/cancel`, { apiKey: key });
    const ownByKey = await api().call("DELETE", `/api/documents/${body.document.id}`, {
      apiKey: key,
    });
    expect(ownByKey.status).toBe(204);

    const mine = await api().upload(tenant.user.token, { name: "users.txt", bytes: "user's" });
    const { document } = (await mine.json()) as { document: { id: string } };
    expectForbidden(
      await api().call("DELETE", `/api/documents/${document.id}`, { apiKey: key }),
      "API key deletes a user's document",
    );
    // Users may delete their own uploads, not other people's.
    const other = await api().upload(tenant.admin.token, { name: "admins.txt", bytes: "admin's" });
    const otherId = ((await other.json()) as { document: { id: string } }).document.id;
    expectForbidden(
      await api().call("DELETE", `/api/documents/${otherId}`, tenant.user.token),
      "user deletes an admin's document",
    );
    const own = await api().fetch(`/api/documents/${document.id}`, {
      method: "DELETE",
      auth: tenant.user.token,
    });
    expect(own.status).toBe(204);
    expect((await api().call("GET", `/api/documents/${otherId}`, tenant.admin.token)).status).toBe(
      200,
    );
  });
});
