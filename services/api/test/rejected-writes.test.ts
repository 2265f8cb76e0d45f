/**
 * Rejected credentials against every write an org admin may make: each answers 401 with the
 * error shape and leaves the tenant exactly as it was. The control shows the same writes,
 * properly signed, do show up, so the comparison can see a write.
 */

import { beforeAll, expect, test } from "bun:test";
import {
  type Auth,
  describeEachApi,
  jwtSecretOf,
  PASSWORD,
  type Tenant,
  unique,
} from "./api.test-utils.ts";
import { base64url, decodeClaims, signToken, unsignedToken } from "./tokens.test-utils.ts";
import { answerOf, expectRefused, writeProbe } from "./write-probe.test-utils.ts";

describeEachApi("rejected credentials on writes", (api) => {
  let tenant: Tenant;
  /** The org admin's claims: signed right, they may make every write below. */
  let adminClaims: Record<string, unknown>;
  let secret: Uint8Array;
  let pipelineId: string;
  let documentId: string;
  beforeAll(async () => {
    tenant = await api().createTenant("writes");
    adminClaims = decodeClaims(tenant.admin.token);
    secret = await jwtSecretOf(api());
    pipelineId = (await api().createPipeline(tenant.admin.token)).id;
    const seed = await answerOf(
      await api().upload(tenant.user.token, { name: "seed.txt", bytes: "seed" }),
    );
    expect(seed.status).toBe(201);
    documentId = (seed.body.document as { id: string }).id;
  });

  const { written, writes } = writeProbe(api, () => ({ tenant, pipelineId, documentId }));
  const now = () => Math.floor(Date.now() / 1000);

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

  /** A new org admin of the tenant, logged in: what a revoked or deactivated session started as. */
  const orgAdminSession = async (label: string) => {
    const email = `${unique(label)}@tokens.test`;
    const user = await api().createUser(tenant.admin.token, { email, role: "org_admin" });
    const session = await api().login(email, PASSWORD);
    expect((await api().call("GET", "/api/documents", session.token)).status).toBe(200);
    return { user, token: session.token };
  };

  /** Each credential is an org admin's, so that only its defect stands between it and a write. */
  const rejected: { name: string; code?: string; auth: () => Promise<Auth> }[] = [
    {
      name: "an expired token",
      code: "token_expired",
      auth: async () => {
        const past = now() - 3600;
        return signToken({ ...adminClaims, iat: past - 60, exp: past }, secret);
      },
    },
    {
      name: "an alg: none token",
      code: "token_bad_algorithm",
      auth: async () => unsignedToken(adminClaims),
    },
    {
      name: "a token signed with another secret",
      code: "token_bad_signature",
      auth: async () => signToken(adminClaims, crypto.getRandomValues(new Uint8Array(32))),
    },
    {
      name: "a tampered token (expiry pushed out, signature kept)",
      code: "token_bad_signature",
      auth: async () => {
        const [header, , signature] = tenant.admin.token.split(".");
        const later = { ...adminClaims, exp: Number(adminClaims.exp) + 365 * 24 * 3600 };
        return `${header}.${base64url(later)}.${signature}`;
      },
    },
    {
      name: "a token revoked by logout",
      code: "session_revoked",
      auth: async () => {
        const { token } = await orgAdminSession("bye-admin");
        const logout = await api().fetch("/api/auth/logout", { method: "POST", auth: token });
        expect(logout.status).toBe(204);
        return token;
      },
    },
    {
      name: "a deactivated user's token",
      code: "user_inactive",
      auth: async () => {
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
      auth: async () => {
        const { key } = await api().createApiKey(tenant.admin.token, unique("real"));
        // The same prefix, another secret: a key that was never issued.
        return { apiKey: `${key.slice(0, 13)}${"0".repeat(64)}` };
      },
    },
    {
      name: "a malformed API key",
      code: "api_key_malformed",
      auth: async () => ({ apiKey: "crp_not-a-key" }),
    },
    {
      name: "a revoked API key",
      code: "api_key_invalid",
      auth: async () => {
        const { id, key } = await api().createApiKey(tenant.admin.token, unique("revoked"));
        const revoked = await api().call("DELETE", `/api/api-keys/${id}`, tenant.admin.token);
        expect(revoked.status).toBe(204);
        return { apiKey: key };
      },
    },
    {
      name: "an API key whose creator was deactivated",
      code: "api_key_invalid",
      auth: async () => {
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
      const auth = await credential.auth();
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
