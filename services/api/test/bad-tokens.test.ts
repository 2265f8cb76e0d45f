/**
 * Session tokens the API must refuse, on a read: expired, tampered, unsigned, foreign, revoked,
 * inactive. rejected-writes.test.ts sends them, and bad API keys, to every write.
 */

import { beforeAll, expect, test } from "bun:test";
import {
  describeEachApi,
  jwtSecretOf,
  type Session,
  type Tenant,
  unique,
} from "./api.test-utils.ts";
import { base64url, decodeClaims, signToken, unsignedToken } from "./tokens.test-utils.ts";
import { expectRefused, tenantReads } from "./write-probe.test-utils.ts";

describeEachApi("rejected session tokens", (api) => {
  let tenant: Tenant;
  let claims: Record<string, unknown>;
  let secret: Uint8Array;
  beforeAll(async () => {
    tenant = await api().createTenant("tokens");
    claims = decodeClaims(tenant.user.token);
    secret = await jwtSecretOf(api());
  });
  const { total } = tenantReads(api, () => tenant);

  const expect401 = async (token: string, code?: string) =>
    expectRefused("GET /api/documents", await api().call("GET", "/api/documents", token), code);

  const now = () => Math.floor(Date.now() / 1000);

  test("the control: a token signed here with the runtime's secret is accepted", async () => {
    const token = signToken(
      { ...claims, jti: crypto.randomUUID(), iat: now(), exp: now() + 60 },
      secret,
    );
    expect((await api().call("GET", "/api/documents", token)).status).toBe(200);
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
});
