/** Session tokens the API must refuse: expired, tampered, unsigned, foreign, revoked, inactive. */

import { beforeAll, expect, test } from "bun:test";
import { journalCounts } from "@crpipeline/db";
import {
  type Auth,
  describeEachApi,
  jwtSecretOf,
  PASSWORD,
  type Reply,
  type Session,
  type Tenant,
  unique,
} from "./api.test-utils.ts";
import { OCR_PIPELINE } from "./fixtures.test-utils.ts";
import { decodeClaims, signToken, unsignedToken } from "./tokens.test-utils.ts";

const base64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");

/** The status and JSON body of a `call` reply or of a raw response (uploads). */
const answerOf = async (reply: Reply | Response) =>
  reply instanceof Response
    ? { status: reply.status, body: (await reply.json()) as Record<string, unknown> }
    : { status: reply.status, body: reply.body };

/** A 401 whose body is exactly `{ error: { code, message } }`; `what` names the request. */
async function expectRefused(what: string, reply: Reply | Response, code?: string) {
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

describeEachApi("rejected session tokens", (api) => {
  let tenant: Tenant;
  let claims: Record<string, unknown>;
  /** The org admin's claims: signed right, they may make every write below. */
  let adminClaims: Record<string, unknown>;
  let secret: Uint8Array;
  let pipelineId: string;
  let documentId: string;
  beforeAll(async () => {
    tenant = await api().createTenant("tokens");
    claims = decodeClaims(tenant.user.token);
    adminClaims = decodeClaims(tenant.admin.token);
    secret = await jwtSecretOf(api());
    pipelineId = (await api().createPipeline(tenant.admin.token)).id;
    const seed = await answerOf(
      await api().upload(tenant.user.token, { name: "seed.txt", bytes: "seed" }),
    );
    expect(seed.status).toBe(201);
    documentId = (seed.body.document as { id: string }).id;
  });

  const expect401 = async (token: string, code?: string) =>
    expectRefused("GET /api/documents", await api().call("GET", "/api/documents", token), code);

  /** A GET that must succeed: a failed read must never pass for "nothing changed". */
  const read = async (path: string, auth: Auth = tenant.admin.token) => {
    const reply = await api().call("GET", path, auth);
    if (reply.status !== 200) {
      throw new Error(`GET ${path} answered ${reply.status}: ${JSON.stringify(reply.body)}`);
    }
    return reply.body;
  };
  const total = async (path: string, auth?: Auth) => (await read(path, auth)).total as number;

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
    const objects = await api().runtime.store.list(`orgs/${tenant.org.id}/`);
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
        api().upload(auth, { name: `${unique("doc")}.txt`, bytes: "run me" }, { pipelineId }),
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
      send: (auth) => api().call("POST", "/api/jobs", auth, { documentId, pipelineId }),
    },
  ];

  const now = () => Math.floor(Date.now() / 1000);

  test("the control: a token signed here with the runtime's secret is accepted", async () => {
    const token = signToken(
      { ...claims, jti: crypto.randomUUID(), iat: now(), exp: now() + 60 },
      secret,
    );
    expect((await api().call("GET", "/api/documents", token)).status).toBe(200);
  });

  test("the control: every write with the org admin's claims, signed here, shows", async () => {
    for (const write of writes) {
      const token = signToken(
        { ...adminClaims, jti: crypto.randomUUID(), iat: now(), exp: now() + 60 },
        secret,
      );
      const before = await written();
      const { status, body } = await answerOf(await write.send(token));
      expect({ write: write.name, status, body }).toMatchObject({
        write: write.name,
        status: write.status,
      });
      const after = await written();
      expect(after[write.shows]).not.toEqual(before[write.shows]);
      expect(after.audit).toBeGreaterThan(before.audit);
    }
  });

  test("an expired token → 401 token_expired", async () => {
    const past = now() - 3600;
    const token = signToken({ ...claims, iat: past - 60, exp: past }, secret);
    await expect401(token, "token_expired");
  });

  test("a tampered token (role raised, signature kept) → 401; re-signed, no admin", async () => {
    const [header, , signature] = tenant.user.token.split(".");
    const raised = { ...claims, role: "admin" };
    const tampered = `${header}.${base64url(raised)}.${signature}`;
    await expect401(tampered, "token_bad_signature");
    const orgs = () => total("/api/orgs", api().admin.token);
    const before = await orgs();
    const forged = await api().call("POST", "/api/orgs", tampered, { name: unique("forged") });
    await expectRefused("POST /api/orgs", forged, "token_bad_signature");

    // The same claims signed with the right secret authenticate, so the 401 came from the
    // signature alone. Their raised role still grants nothing: roles are read from the database.
    const resigned = signToken(raised, secret);
    expect((await api().call("GET", "/api/documents", resigned)).status).toBe(200);
    const refused = await api().call("POST", "/api/orgs", resigned, { name: unique("forged") });
    expect(refused.status).toBe(403);
    expect(await orgs()).toBe(before);
  });

  test("an alg: none token → 401", async () => {
    await expect401(unsignedToken({ ...claims, role: "admin" }), "token_bad_algorithm");
  });

  test("a token signed with another secret → 401", async () => {
    const other = crypto.getRandomValues(new Uint8Array(32));
    await expect401(signToken(claims, other), "token_bad_signature");
  });

  test("garbage and an empty bearer → 401", async () => {
    await expect401("not.a.jwt");
    const reply = await api().call("GET", "/api/documents", undefined);
    expect(reply.status).toBe(401);
  });

  test("a token revoked by logout → 401 session_revoked", async () => {
    const email = `${unique("bye")}@tokens.test`;
    await api().createUser(tenant.admin.token, { email });
    const session: Session = await api().login(email, "correct-horse-battery");
    expect((await api().call("GET", "/api/documents", session.token)).status).toBe(200);
    const logout = await api().fetch("/api/auth/logout", { method: "POST", auth: session.token });
    expect(logout.status).toBe(204);
    await expect401(session.token, "session_revoked");
  });

  test("a deactivated user's valid token → 401 user_inactive", async () => {
    const email = `${unique("off")}@tokens.test`;
    const user = await api().createUser(tenant.admin.token, { email });
    const session = await api().login(email, "correct-horse-battery");
    await api().call("PATCH", `/api/users/${user.id}`, tenant.admin.token, { active: false });
    await expect401(session.token, "user_inactive");
  });

  /** A new org admin of the tenant, logged in: what a revoked or deactivated session started as. */
  const orgAdminSession = async (label: string) => {
    const email = `${unique(label)}@tokens.test`;
    const user = await api().createUser(tenant.admin.token, { email, role: "org_admin" });
    const session = await api().login(email, PASSWORD);
    expect((await api().call("GET", "/api/documents", session.token)).status).toBe(200);
    return { user, token: session.token };
  };

  /** Each credential is an org admin's, so that only its defect stands between it and a write. */
  const rejected: { name: string; code?: string; token: () => Promise<Auth> }[] = [
    {
      name: "an expired token",
      code: "token_expired",
      token: async () => {
        const past = now() - 3600;
        return signToken({ ...adminClaims, iat: past - 60, exp: past }, secret);
      },
    },
    {
      name: "an alg: none token",
      code: "token_bad_algorithm",
      token: async () => unsignedToken(adminClaims),
    },
    {
      name: "a token signed with another secret",
      code: "token_bad_signature",
      token: async () => signToken(adminClaims, crypto.getRandomValues(new Uint8Array(32))),
    },
    {
      name: "a tampered token (expiry pushed out, signature kept)",
      code: "token_bad_signature",
      token: async () => {
        const [header, , signature] = tenant.admin.token.split(".");
        const later = { ...adminClaims, exp: Number(adminClaims.exp) + 365 * 24 * 3600 };
        return `${header}.${base64url(later)}.${signature}`;
      },
    },
    {
      name: "a token revoked by logout",
      code: "session_revoked",
      token: async () => {
        const { token } = await orgAdminSession("bye-admin");
        const logout = await api().fetch("/api/auth/logout", { method: "POST", auth: token });
        expect(logout.status).toBe(204);
        return token;
      },
    },
    {
      name: "a deactivated user's token",
      code: "user_inactive",
      token: async () => {
        const { user, token } = await orgAdminSession("off-admin");
        const off = await api().call("PATCH", `/api/users/${user.id}`, tenant.admin.token, {
          active: false,
        });
        expect(off.status).toBe(200);
        return token;
      },
    },
    {
      name: "an unknown API key of the right shape",
      code: "api_key_invalid",
      token: async () => {
        const { key } = await api().createApiKey(tenant.admin.token, unique("real"));
        // The same prefix, another secret: a key that was never issued.
        return { apiKey: `${key.slice(0, 13)}${"0".repeat(64)}` };
      },
    },
    {
      name: "a malformed API key",
      code: "api_key_malformed",
      token: async () => ({ apiKey: "crp_not-a-key" }),
    },
    {
      name: "a revoked API key",
      code: "api_key_invalid",
      token: async () => {
        const { id, key } = await api().createApiKey(tenant.admin.token, unique("revoked"));
        const revoked = await api().call("DELETE", `/api/api-keys/${id}`, tenant.admin.token);
        expect(revoked.status).toBe(204);
        return { apiKey: key };
      },
    },
    {
      name: "an API key whose creator was deactivated",
      code: "api_key_invalid",
      token: async () => {
        const { user, token } = await orgAdminSession("key-owner");
        const { key } = await api().createApiKey(token, unique("orphaned"));
        expect((await api().call("GET", "/api/documents", { apiKey: key })).status).toBe(200);
        const off = await api().call("PATCH", `/api/users/${user.id}`, tenant.admin.token, {
          active: false,
        });
        expect(off.status).toBe(200);
        return { apiKey: key };
      },
    },
  ];

  for (const credential of rejected) {
    test(`${credential.name} → 401 on every write, and nothing is written`, async () => {
      const auth = await credential.token();
      const before = await written();
      for (const write of writes) {
        await expectRefused(write.name, await write.send(auth), credential.code);
        // The write's name in both objects: a difference shows which request caused it.
        expect({ write: write.name, ...(await written()) }).toEqual({
          write: write.name,
          ...before,
        });
      }
    });
  }
});
