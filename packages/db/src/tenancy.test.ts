import { expect, test } from "bun:test";
import { AppError } from "@crpipeline/errors";
import {
  createApiKey,
  findApiKeyByHash,
  getApiKey,
  listApiKeys,
  revokeApiKey,
  touchApiKey,
} from "./api-keys.repository.ts";
import { describeEachEngine, seedTenant } from "./db.test-utils.ts";
import {
  createOrganisation,
  getOrganisation,
  listOrganisations,
  updateOrganisation,
} from "./organisations.repository.ts";
import { isTokenRevoked, pruneRevokedTokens, revokeToken } from "./revoked-tokens.repository.ts";
import {
  bumpTokenVersion,
  createUser,
  findUserByEmail,
  getUser,
  getUserById,
  hasAdmin,
  listUsers,
  recordLogin,
  updateUser,
} from "./users.repository.ts";

async function conflictOf(promise: Promise<unknown>): Promise<AppError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AppError);
  expect((error as AppError).status).toBe(409);
  return error as AppError;
}

describeEachEngine("organisations", (current) => {
  test("create, get, unique name → 409, update quotas", async () => {
    const { db } = current();
    const org = await createOrganisation(db, { name: "Acme", monthlyUploadQuota: 5 });
    expect(org).toMatchObject({ name: "Acme", monthlyUploadQuota: 5, monthlyJobQuota: null });
    expect(typeof org.createdAt).toBe("number");
    expect(await getOrganisation(db, org.id)).toEqual(org);
    expect(await getOrganisation(db, "missing")).toBeNull();
    await conflictOf(createOrganisation(db, { name: "Acme" }));

    const other = await createOrganisation(db, { name: "Other" });
    await conflictOf(updateOrganisation(db, other.id, { name: "Acme" }));
    const updated = await updateOrganisation(db, org.id, { monthlyJobQuota: 7 });
    expect(updated).toMatchObject({ name: "Acme", monthlyUploadQuota: 5, monthlyJobQuota: 7 });
    expect(await updateOrganisation(db, "missing", { name: "x" })).toBeNull();
  });

  test("list pages by name without gaps or repeats", async () => {
    const { db } = current();
    for (const name of ["p-c", "p-a", "p-e", "p-b", "p-d"]) await createOrganisation(db, { name });
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page = await listOrganisations(db, { sort: "name", limit: 2, cursor });
      seen.push(...page.items.map((o) => o.name));
      cursor = page.nextCursor;
    } while (cursor);
    const expected = [...seen].sort();
    expect(seen).toEqual(expected);
    expect(seen.filter((n) => n.startsWith("p-"))).toEqual(["p-a", "p-b", "p-c", "p-d", "p-e"]);
  });
});

describeEachEngine("users", (current) => {
  test("e-mail is unique case-insensitively and stored lower-cased", async () => {
    const { db } = current();
    const { org } = await seedTenant(db);
    const user = await createUser(db, {
      orgId: org.id,
      email: " Mixed@Case.TEST ",
      passwordHash: "h1",
      role: "user",
    });
    expect(user.email).toBe("mixed@case.test");
    expect(user.active).toBe(true);
    expect(user.tokenVersion).toBe(0);
    await conflictOf(
      createUser(db, { orgId: org.id, email: "MIXED@case.test", passwordHash: "h", role: "user" }),
    );
    const found = await findUserByEmail(db, "mixed@CASE.test");
    expect(found?.id).toBe(user.id);
    expect(found?.passwordHash).toBe("h1");
    expect(await findUserByEmail(db, "nobody@case.test")).toBeNull();
    expect("passwordHash" in ((await getUserById(db, user.id)) ?? {})).toBe(false);
  });

  test("another organisation's id answers null and changes nothing", async () => {
    const { db } = current();
    const a = await seedTenant(db, "a");
    const b = await seedTenant(db, "b");
    expect(await getUser(db, a.org.id, b.user.id)).toBeNull();
    expect(await updateUser(db, a.org.id, b.user.id, { role: "user", active: false })).toBeNull();
    expect(await bumpTokenVersion(db, a.org.id, b.user.id)).toBeNull();
    const untouched = await getUser(db, b.org.id, b.user.id);
    expect(untouched).toMatchObject({ role: "org_admin", active: true, tokenVersion: 0 });
    const listed = await listUsers(db, a.org.id);
    expect(listed.items.map((u) => u.id)).toEqual([a.user.id]);
    expect(listed.total).toBe(1);
  });

  test("role change keeps sessions; deactivation and new password revoke them", async () => {
    const { db } = current();
    const { org, user } = await seedTenant(db);
    const promoted = await updateUser(db, org.id, user.id, { role: "admin" });
    expect(promoted).toMatchObject({ role: "admin", tokenVersion: 0 });
    expect(await hasAdmin(db)).toBe(true);
    const disabled = await updateUser(db, org.id, user.id, { active: false });
    expect(disabled).toMatchObject({ active: false, tokenVersion: 1 });
    const repassed = await updateUser(db, org.id, user.id, { passwordHash: "new" });
    expect(repassed?.tokenVersion).toBe(2);
    expect((await findUserByEmail(db, user.email))?.passwordHash).toBe("new");
    expect(await bumpTokenVersion(db, org.id, user.id)).toBe(3);
    await recordLogin(db, user.id, 1234);
    expect((await getUserById(db, user.id))?.lastLoginAt).toBe(1234);
  });
});

describeEachEngine("api keys and revoked tokens", (current) => {
  test("find by hash joins organisation and creator; revoked keys are not found", async () => {
    const { db } = current();
    const { org, user } = await seedTenant(db);
    const key = await createApiKey(db, {
      orgId: org.id,
      createdBy: user.id,
      name: "ci",
      prefix: "crp_ab12",
      keyHash: `hash-${org.id}`,
    });
    const found = await findApiKeyByHash(db, `hash-${org.id}`);
    expect(found?.apiKey).toEqual(key);
    expect(found?.organisation).toEqual((await getOrganisation(db, org.id)) ?? undefined);
    expect(found?.creator).toEqual({ id: user.id, role: "org_admin", active: true });
    await conflictOf(
      createApiKey(db, { ...key, createdBy: null, keyHash: `hash-${org.id}`, orgId: org.id }),
    );

    await touchApiKey(db, key.id, 999);
    expect((await getApiKey(db, org.id, key.id))?.lastUsedAt).toBe(999);
    expect(await revokeApiKey(db, org.id, key.id)).toBe(true);
    expect(await revokeApiKey(db, org.id, key.id)).toBe(false);
    expect(await findApiKeyByHash(db, `hash-${org.id}`)).toBeNull();
    expect((await listApiKeys(db, org.id)).items[0]?.revokedAt).toBeNumber();
  });

  test("another organisation cannot read, list or revoke a key", async () => {
    const { db } = current();
    const a = await seedTenant(db, "a");
    const b = await seedTenant(db, "b");
    const key = await createApiKey(db, {
      orgId: b.org.id,
      createdBy: b.user.id,
      name: "b",
      prefix: "p",
      keyHash: `hash-${b.org.id}`,
    });
    expect(await getApiKey(db, a.org.id, key.id)).toBeNull();
    expect(await revokeApiKey(db, a.org.id, key.id)).toBe(false);
    expect((await listApiKeys(db, a.org.id)).items).toEqual([]);
    expect(await findApiKeyByHash(db, `hash-${b.org.id}`)).not.toBeNull();
  });

  test("revoked token ids are remembered until they expire", async () => {
    const { db } = current();
    const now = Date.now();
    await revokeToken(db, "jti-old", now - 1000);
    await revokeToken(db, "jti-live", now + 60_000);
    await revokeToken(db, "jti-live", now + 60_000);
    expect(await isTokenRevoked(db, "jti-live")).toBe(true);
    expect(await isTokenRevoked(db, "jti-other")).toBe(false);
    expect(await pruneRevokedTokens(db, now)).toBe(1);
    expect(await isTokenRevoked(db, "jti-old")).toBe(false);
    expect(await isTokenRevoked(db, "jti-live")).toBe(true);
  });
});
