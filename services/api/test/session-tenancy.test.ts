/** Happy paths of the session, organisation, user and API-key routes, on both engines. */

import { expect, test } from "bun:test";
import { ADMIN, describeEachApi, PASSWORD, unique } from "./api.test-utils.ts";

const cookiePair = (setCookie: string) => setCookie.split(";")[0] ?? "";

describeEachApi("session and tenancy routes", (api) => {
  test("login answers { token, user } and sets an HttpOnly SameSite cookie", async () => {
    const reply = await api().loginRaw(
      JSON.stringify({ email: api().adminEmail.toUpperCase(), password: ADMIN.password }),
    );
    expect(reply.status).toBe(200);
    expect(reply.body.token).toBeString();
    expect(reply.body.user).toMatchObject({ email: api().adminEmail, role: "admin" });
    expect(JSON.stringify(reply.body)).not.toContain("passwordHash");

    const setCookie = reply.headers.get("set-cookie") ?? "";
    expect(setCookie).toStartWith(`crp_session=${reply.body.token};`);
    expect(setCookie).toMatch(/;\s*HttpOnly/i);
    expect(setCookie).toMatch(/;\s*SameSite=(Lax|Strict)/i);
    expect(setCookie).toMatch(/;\s*Path=\//i);
    // Plain http: no Secure flag, or browsers would drop the cookie.
    expect(setCookie).not.toMatch(/;\s*Secure/i);
  });

  test("the cookie alone authenticates; logout revokes it and clears the cookie", async () => {
    const session = await api().login(api().adminEmail, ADMIN.password);
    const cookie = { cookie: cookiePair(session.setCookie) };

    const me = await api().call<{ user: { email: string }; organisation: { name: string } }>(
      "GET",
      "/api/auth/me",
      cookie,
    );
    expect(me.status).toBe(200);
    expect(me.body.user.email).toBe(api().adminEmail);
    expect(me.body.organisation.name).toBe(ADMIN.org);
    expect(me.headers.get("ratelimit-limit")).toBeTruthy();

    const logout = await api().fetch("/api/auth/logout", { method: "POST", auth: cookie });
    expect(logout.status).toBe(204);
    expect(logout.headers.get("set-cookie")).toMatch(/crp_session=;.*Max-Age=0/);

    for (const auth of [cookie, session.token]) {
      const after = await api().call("GET", "/api/auth/me", auth);
      expect(after.status).toBe(401);
      expect(after.body).toEqual({
        error: { code: "session_revoked", message: expect.any(String) },
      });
    }
    // Another session of the same user is untouched.
    expect((await api().call("GET", "/api/auth/me", api().admin.token)).status).toBe(200);
  });

  test("orgs: the admin creates and lists them; others see only their own", async () => {
    const name = unique("Org");
    const created = await api().call<{ organisation: Record<string, unknown> }>(
      "POST",
      "/api/orgs",
      api().admin.token,
      { name, monthlyUploadQuota: 100, monthlyJobQuota: null },
    );
    expect(created.status).toBe(201);
    expect(created.body.organisation).toMatchObject({
      name,
      monthlyUploadQuota: 100,
      monthlyJobQuota: null,
    });

    const all = await api().call<{ items: { name: string }[]; total: number }>(
      "GET",
      "/api/orgs?limit=100",
      api().admin.token,
    );
    expect(all.status).toBe(200);
    expect(all.body.items.map((o) => o.name)).toEqual(expect.arrayContaining([ADMIN.org, name]));

    const tenant = await api().createTenant("solo");
    const own = await api().call<{ items: { id: string }[]; total: number }>(
      "GET",
      "/api/orgs",
      tenant.user.token,
    );
    expect(own.body).toMatchObject({ total: 1, items: [{ id: tenant.org.id }] });
  });

  test("orgs: only a global admin changes quotas or names, and the new quota applies", async () => {
    const tenant = await api().createTenant("requota");
    const path = `/api/orgs/${tenant.org.id}`;
    const uploads = async () =>
      (await api().upload(tenant.user.token, { name: "q.txt", bytes: unique("q") })).status;
    expect(await uploads()).toBe(201);

    for (const token of [tenant.admin.token, tenant.user.token]) {
      const refused = await api().call("PATCH", path, token, { monthlyUploadQuota: 1000 });
      expect(refused.status).toBe(403);
    }
    const changed = await api().call<{ organisation: Record<string, unknown> }>(
      "PATCH",
      path,
      api().admin.token,
      { monthlyUploadQuota: 1 },
    );
    expect(changed.status).toBe(200);
    expect(changed.body.organisation).toMatchObject({
      id: tenant.org.id,
      name: tenant.org.name,
      monthlyUploadQuota: 1,
      monthlyJobQuota: null,
    });
    // One upload this month already: the lowered quota refuses the next.
    expect(await uploads()).toBe(429);
    const lifted = await api().call("PATCH", path, api().admin.token, { monthlyUploadQuota: null });
    expect(lifted.status).toBe(200);
    expect(await uploads()).toBe(201);

    const empty = await api().call("PATCH", path, api().admin.token, {});
    expect(empty.status).toBe(400);
    const clash = await api().call("PATCH", path, api().admin.token, { name: ADMIN.org });
    expect(clash.status).toBe(409);
    const missing = await api().call(
      "PATCH",
      `/api/orgs/${crypto.randomUUID()}`,
      api().admin.token,
      {
        name: unique("ghost"),
      },
    );
    expect(missing.status).toBe(404);
    const audit = await api().call<{ items: { action: string }[] }>(
      "GET",
      "/api/audit?limit=100",
      tenant.admin.token,
    );
    expect(audit.body.items.filter((e) => e.action === "org.update")).toHaveLength(2);
  });

  test("users: an org admin creates, lists and changes users of the organisation", async () => {
    const tenant = await api().createTenant("people");
    const email = `${unique("new")}@people.test`;
    const created = await api().call<{ user: Record<string, unknown> }>(
      "POST",
      "/api/users",
      tenant.admin.token,
      { email, password: PASSWORD, name: "New Person", role: "user" },
    );
    expect(created.status).toBe(201);
    expect(created.body.user).toMatchObject({
      email,
      name: "New Person",
      role: "user",
      active: true,
      orgId: tenant.org.id,
    });
    expect(JSON.stringify(created.body)).not.toMatch(/password/i);
    const id = created.body.user.id as string;

    const list = await api().call<{ items: { email: string }[]; total: number }>(
      "GET",
      "/api/users?sort=email&order=asc",
      tenant.admin.token,
    );
    expect(list.status).toBe(200);
    expect(list.body.total).toBe(3);
    const emails = list.body.items.map((u) => u.email);
    expect(emails).toEqual([...emails].sort());
    expect(emails).toContain(email);

    const patched = await api().call<{ user: Record<string, unknown> }>(
      "PATCH",
      `/api/users/${id}`,
      tenant.admin.token,
      { name: "Renamed", role: "org_admin" },
    );
    expect(patched.status).toBe(200);
    expect(patched.body.user).toMatchObject({ id, name: "Renamed", role: "org_admin" });

    // A new password works at once and the old one no longer does.
    const newPassword = "another-long-password";
    const changed = await api().call("PATCH", `/api/users/${id}`, tenant.admin.token, {
      password: newPassword,
    });
    expect(changed.status).toBe(200);
    expect((await api().login(email, newPassword)).user.id).toBe(id);
    const old = await api().loginRaw(JSON.stringify({ email, password: PASSWORD }));
    expect(old.status).toBe(401);
  });

  test("an e-mail already in use is 409, whatever its case or organisation", async () => {
    const tenant = await api().createTenant("dupes");
    const elsewhere = await api().createTenant("dupes-elsewhere");
    const email = `${unique("taken")}@dupes.test`;
    await api().createUser(tenant.admin.token, { email });
    const count = async () =>
      (await api().call<{ total: number }>("GET", "/api/users", elsewhere.admin.token)).body.total;
    const before = await count();

    for (const attempt of [email, email.toUpperCase()]) {
      const reply = await api().call<{ error: { code: string; message: string } }>(
        "POST",
        "/api/users",
        elsewhere.admin.token,
        { email: attempt, password: PASSWORD },
      );
      expect({ attempt, status: reply.status, code: reply.body.error?.code }).toEqual({
        attempt,
        status: 409,
        code: "conflict",
      });
      expect(reply.body.error.message).toContain(email);
    }
    expect(await count()).toBe(before);
  });

  test("the global admin creates a user in another organisation", async () => {
    const org = await api().createOrg(unique("Elsewhere"));
    const email = `${unique("far")}@elsewhere.test`;
    const user = await api().createUser(api().admin.token, { email, orgId: org.id });
    expect(user.orgId).toBe(org.id);
    const list = await api().call<{ items: { email: string }[] }>(
      "GET",
      `/api/users?orgId=${org.id}`,
      api().admin.token,
    );
    expect(list.body.items.map((u) => u.email)).toEqual([email]);
  });

  test("api keys: shown once, listed without the secret, usable as X-API-Key, revocable", async () => {
    const tenant = await api().createTenant("keys");
    const created = await api().call<{ apiKey: Record<string, unknown>; key: string }>(
      "POST",
      "/api/api-keys",
      tenant.admin.token,
      { name: "ci script" },
    );
    expect(created.status).toBe(201);
    expect(created.body.key).toBeString();
    expect(created.body.key.length).toBeGreaterThan(20);
    expect(created.body.apiKey).toMatchObject({ name: "ci script", orgId: tenant.org.id });
    const { key } = created.body;
    const id = created.body.apiKey.id as string;

    const list = await api().call<{ items: Record<string, unknown>[] }>(
      "GET",
      "/api/api-keys",
      tenant.admin.token,
    );
    expect(list.status).toBe(200);
    expect(list.body.items).toHaveLength(1);
    expect(list.body.items[0]).toMatchObject({ id, name: "ci script", revokedAt: null });
    expect(JSON.stringify(list.body)).not.toContain(key);
    expect(JSON.stringify(list.body)).not.toMatch(/hash/i);

    const me = await api().call<Record<string, unknown>>("GET", "/api/auth/me", { apiKey: key });
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ apiKey: { id }, role: "user" });
    expect(me.body.organisation).toMatchObject({ id: tenant.org.id });
    const docs = await api().call("GET", "/api/documents", { apiKey: key });
    expect(docs.status).toBe(200);

    const revoke = await api().fetch(`/api/api-keys/${id}`, {
      method: "DELETE",
      auth: tenant.admin.token,
    });
    expect(revoke.status).toBe(204);
    const after = await api().call("GET", "/api/auth/me", { apiKey: key });
    expect(after.status).toBe(401);
    expect(after.body).toMatchObject({ error: { code: "api_key_invalid" } });
    const listed = await api().call<{ items: { revokedAt: unknown }[] }>(
      "GET",
      "/api/api-keys",
      tenant.admin.token,
    );
    expect(listed.body.items[0]?.revokedAt).not.toBeNull();
    // Revoking twice is a 404: there is no live key with that id any more.
    const again = await api().call("DELETE", `/api/api-keys/${id}`, tenant.admin.token);
    expect(again.status).toBe(404);
  });

  test("an API key cannot log out (it has no session)", async () => {
    const tenant = await api().createTenant("nologout");
    const { key } = await api().createApiKey(tenant.admin.token, "script");
    const reply = await api().call("POST", "/api/auth/logout", { apiKey: key });
    expect(reply.status).toBe(400);
    expect((await api().call("GET", "/api/auth/me", { apiKey: key })).status).toBe(200);
  });
});
