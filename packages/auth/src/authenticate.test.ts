import { describe, expect, test } from "bun:test";
import { AppError } from "@crpipeline/errors";
import { generateApiKey } from "./api-keys.ts";
import {
  type ApiKeyRecord,
  type ApiKeyStore,
  authenticateApiKey,
  authenticateToken,
  type SessionStore,
  type UserState,
} from "./authenticate.ts";
import { createTokenService } from "./tokens.ts";

const tokens = createTokenService({
  secret: new TextEncoder().encode("authenticate-test-secret-32-bytes-min"),
  issuer: "crpipeline",
  audience: "crpipeline-api",
  ttlSeconds: 600,
});

// The API implements SessionStore on the database; this in-memory one is the same contract.
function memoryStore(users: Record<string, UserState>) {
  const revoked = new Set<string>();
  const store: SessionStore = {
    isRevoked: async (jti) => revoked.has(jti),
    getUserState: async (userId) => users[userId] ?? null,
  };
  return { store, revoked, users };
}

async function failure(promise: Promise<unknown>): Promise<AppError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(AppError);
  expect((error as AppError).status).toBe(401);
  return error as AppError;
}

const alice = (): UserState => ({ active: true, role: "user", orgId: "o1", tokenVersion: 1 });

describe("authenticateToken", () => {
  test("a valid session becomes a user principal", async () => {
    const { store } = memoryStore({ alice: alice() });
    const issued = await tokens.issue({
      userId: "alice",
      orgId: "o1",
      role: "user",
      tokenVersion: 1,
    });
    expect(await authenticateToken(issued.token, { tokens, store })).toEqual({
      kind: "user",
      userId: "alice",
      orgId: "o1",
      role: "user",
      jti: issued.jti,
    });
  });

  test("a revoked token id is refused; other sessions of the user still work", async () => {
    const { store, revoked } = memoryStore({ alice: alice() });
    const subject = { userId: "alice", orgId: "o1", role: "user" as const, tokenVersion: 1 };
    const [first, second] = await Promise.all([tokens.issue(subject), tokens.issue(subject)]);
    revoked.add(first.jti);
    expect((await failure(authenticateToken(first.token, { tokens, store }))).code).toBe(
      "session_revoked",
    );
    expect((await authenticateToken(second.token, { tokens, store })).jti).toBe(second.jti);
  });

  test("a bumped token version ends older sessions", async () => {
    const { store, users } = memoryStore({ alice: alice() });
    const { token } = await tokens.issue({
      userId: "alice",
      orgId: "o1",
      role: "user",
      tokenVersion: 1,
    });
    users.alice = { ...alice(), tokenVersion: 2 };
    expect((await failure(authenticateToken(token, { tokens, store }))).code).toBe(
      "session_outdated",
    );
  });

  test("a deactivated or deleted user is refused", async () => {
    const { store, users } = memoryStore({ alice: alice() });
    const { token } = await tokens.issue({
      userId: "alice",
      orgId: "o1",
      role: "user",
      tokenVersion: 1,
    });
    users.alice = { ...alice(), active: false };
    expect((await failure(authenticateToken(token, { tokens, store }))).code).toBe("user_inactive");
    delete users.alice;
    expect((await failure(authenticateToken(token, { tokens, store }))).code).toBe("user_unknown");
  });

  test("the role comes from the store, not from the token", async () => {
    const { store, users } = memoryStore({ alice: { ...alice(), role: "org_admin" } });
    const { token } = await tokens.issue({
      userId: "alice",
      orgId: "o1",
      role: "org_admin",
      tokenVersion: 1,
    });
    expect((await authenticateToken(token, { tokens, store })).role).toBe("org_admin");
    users.alice = alice();
    expect((await authenticateToken(token, { tokens, store })).role).toBe("user");
  });

  test("a user moved to another organisation must sign in again", async () => {
    const { store, users } = memoryStore({ alice: alice() });
    const { token } = await tokens.issue({
      userId: "alice",
      orgId: "o1",
      role: "user",
      tokenVersion: 1,
    });
    users.alice = { ...alice(), orgId: "o2" };
    expect((await failure(authenticateToken(token, { tokens, store }))).code).toBe(
      "session_outdated",
    );
  });

  test("token errors surface before the store is asked", async () => {
    let asked = false;
    const store: SessionStore = {
      isRevoked: async () => {
        asked = true;
        return false;
      },
      getUserState: async () => alice(),
    };
    expect((await failure(authenticateToken("not-a-token", { tokens, store }))).code).toBe(
      "token_malformed",
    );
    expect(asked).toBe(false);
  });
});

describe("authenticateApiKey", () => {
  const generated = generateApiKey();
  const records = new Map<string, ApiKeyRecord>([
    [generated.prefix, { id: "k1", orgId: "o1", hash: generated.hash, active: true }],
  ]);
  const store: ApiKeyStore = { findByPrefix: async (prefix) => records.get(prefix) ?? null };

  test("a stored, active key becomes an api_key principal with the user role", async () => {
    expect(await authenticateApiKey(generated.key, { store })).toEqual({
      kind: "api_key",
      apiKeyId: "k1",
      orgId: "o1",
      role: "user",
    });
  });

  test("right prefix with a wrong secret, unknown prefix, revoked key: one 401 code", async () => {
    const wrongSecret = `crp_${generated.prefix}_${"0".repeat(64)}`;
    const unknown = generateApiKey().key;
    for (const key of [wrongSecret, unknown]) {
      expect((await failure(authenticateApiKey(key, { store }))).code).toBe("api_key_invalid");
    }
    records.set(generated.prefix, { id: "k1", orgId: "o1", hash: generated.hash, active: false });
    expect((await failure(authenticateApiKey(generated.key, { store }))).code).toBe(
      "api_key_invalid",
    );
  });

  test("a malformed header is refused before any lookup", async () => {
    expect((await failure(authenticateApiKey("Bearer abc", { store }))).code).toBe(
      "api_key_malformed",
    );
    expect((await failure(authenticateApiKey(undefined, { store }))).code).toBe(
      "api_key_malformed",
    );
  });
});
