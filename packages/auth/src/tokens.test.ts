import { describe, expect, test } from "bun:test";
import { AppError } from "@crpipeline/errors";
import { generateKeyPair, SignJWT } from "jose";
import { createTokenService, type TokenService } from "./tokens.ts";

const secret = new TextEncoder().encode("test-secret-of-at-least-32-bytes-long!!");
const subject = { userId: "u1", orgId: "o1", role: "org_admin" as const, tokenVersion: 3 };

const service = (overrides: Partial<Parameters<typeof createTokenService>[0]> = {}) =>
  createTokenService({
    secret,
    issuer: "crpipeline",
    audience: "crpipeline-api",
    ttlSeconds: 3600,
    ...overrides,
  });

async function rejection(tokens: TokenService, token: string): Promise<AppError> {
  const error = await tokens.verify(token).then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(AppError);
  expect((error as AppError).status).toBe(401);
  return error as AppError;
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
const decode = (part: string) => JSON.parse(Buffer.from(part, "base64url").toString());

describe("token service", () => {
  test("round trip carries every claim", async () => {
    const tokens = service();
    const before = Math.floor(Date.now() / 1000);
    const issued = await tokens.issue(subject);
    const claims = await tokens.verify(issued.token);

    expect(claims).toMatchObject({ ...subject, jti: issued.jti });
    expect(claims.expiresAt - claims.issuedAt).toBe(3600);
    expect(claims.issuedAt).toBeGreaterThanOrEqual(before);
    expect(issued.expiresAt.getTime()).toBe(claims.expiresAt * 1000);

    const [header, payload] = issued.token.split(".") as [string, string];
    expect(decode(header).alg).toBe("HS256");
    expect(Object.keys(decode(payload)).sort()).toEqual(
      ["aud", "exp", "iat", "iss", "jti", "org", "role", "sub", "ver"].sort(),
    );
    expect((await tokens.issue(subject)).jti).not.toBe(issued.jti);
  });

  test("expired token", async () => {
    let now = Date.now();
    const tokens = service({ ttlSeconds: 60, now: () => now });
    const { token } = await tokens.issue(subject);
    now += 59_000;
    await tokens.verify(token);
    now += 2_000;
    expect((await rejection(tokens, token)).code).toBe("token_expired");
  });

  test("tampered payload (role raised) fails the signature", async () => {
    const tokens = service();
    const [header, payload, signature] = (await tokens.issue(subject)).token.split(".");
    const raised = b64({ ...decode(payload as string), role: "admin" });
    const error = await rejection(tokens, `${header}.${raised}.${signature}`);
    expect(error.code).toBe("token_bad_signature");
  });

  test("tampered signature", async () => {
    const tokens = service();
    const { token } = await tokens.issue(subject);
    const last = token.at(-2) === "A" ? "B" : "A";
    const error = await rejection(tokens, `${token.slice(0, -2)}${last}${token.at(-1)}`);
    expect(error.code).toBe("token_bad_signature");
  });

  test("token signed with another secret", async () => {
    const other = service({ secret: new TextEncoder().encode("x".repeat(40)) });
    const { token } = await other.issue(subject);
    expect((await rejection(service(), token)).code).toBe("token_bad_signature");
  });

  test("hand-crafted alg:none token is rejected", async () => {
    const tokens = service();
    const [, payload] = (await tokens.issue(subject)).token.split(".");
    const error = await rejection(tokens, `${b64({ alg: "none", typ: "JWT" })}.${payload}.`);
    expect(error.code).toBe("token_bad_algorithm");
  });

  test("RS256 token with valid claims is rejected", async () => {
    const { privateKey } = await generateKeyPair("RS256");
    const now = Math.floor(Date.now() / 1000);
    const token = await new SignJWT({ org: "o1", role: "admin", ver: 3 })
      .setProtectedHeader({ alg: "RS256" })
      .setSubject("u1")
      .setJti("j1")
      .setIssuer("crpipeline")
      .setAudience("crpipeline-api")
      .setIssuedAt(now)
      .setExpirationTime(now + 60)
      .sign(privateKey);
    expect((await rejection(service(), token)).code).toBe("token_bad_algorithm");
  });

  test("wrong issuer and wrong audience have their own codes", async () => {
    const wrongIss = await service({ issuer: "someone-else" }).issue(subject);
    const wrongAud = await service({ audience: "another-api" }).issue(subject);
    expect((await rejection(service(), wrongIss.token)).code).toBe("token_wrong_issuer");
    expect((await rejection(service(), wrongAud.token)).code).toBe("token_wrong_audience");
  });

  test("malformed tokens", async () => {
    const tokens = service();
    const notJson = Buffer.from("not json").toString("base64url");
    for (const token of ["", "abc", "a.b.c", "a.b", `${notJson}.${notJson}.sig`]) {
      expect((await rejection(tokens, token)).code).toBe("token_malformed");
    }
  });

  test("a validly signed token without our claims is malformed", async () => {
    const now = Math.floor(Date.now() / 1000);
    const token = await new SignJWT({ role: "superuser" })
      .setProtectedHeader({ alg: "HS256" })
      .setSubject("u1")
      .setJti("j1")
      .setIssuer("crpipeline")
      .setAudience("crpipeline-api")
      .setIssuedAt(now)
      .setExpirationTime(now + 60)
      .sign(secret);
    const error = await rejection(service(), token);
    expect(error.code).toBe("token_malformed");
  });

  test("a short secret is refused at construction", () => {
    expect(() => service({ secret: new Uint8Array(16) })).toThrow(/32 bytes/);
  });
});
