import { describe, expect, test } from "bun:test";
import { AppError } from "@crpipeline/errors";
import { clearSessionCookie, readBearerOrCookie, sessionCookie } from "./cookies.ts";
import { canManageOrg, type Principal, requireRole } from "./roles.ts";

describe("session cookie", () => {
  test("attributes, Secure only behind https", () => {
    const plain = sessionCookie("tok", { secure: false, maxAge: 3600 });
    expect(plain).toBe("crp_session=tok; Path=/; HttpOnly; SameSite=Lax; Max-Age=3600");
    expect(sessionCookie("tok", { secure: true, maxAge: 60 })).toContain("; Secure");
    const cleared = clearSessionCookie({ secure: true });
    expect(cleared).toMatch(/^crp_session=; .*Max-Age=0; Expires=Thu, 01 Jan 1970/);
    expect(cleared).toContain("HttpOnly");
  });

  test("bearer wins over cookie; cookie is found among others", () => {
    expect(
      readBearerOrCookie(new Headers({ authorization: "Bearer abc", cookie: "crp_session=xyz" })),
    ).toBe("abc");
    expect(readBearerOrCookie({ Cookie: "theme=dark; crp_session=x.y.z; other=1" })).toBe("x.y.z");
    expect(readBearerOrCookie({ authorization: "bearer  lower" })).toBe("lower");
  });

  test("nothing usable gives null", () => {
    expect(readBearerOrCookie(new Headers())).toBeNull();
    expect(readBearerOrCookie({ authorization: "Basic dXNlcjpwYXNz" })).toBeNull();
    expect(readBearerOrCookie({ authorization: "Bearer" })).toBeNull();
    expect(readBearerOrCookie({ cookie: "crp_session=" })).toBeNull();
    expect(readBearerOrCookie({ cookie: "not_crp_session=abc" })).toBeNull();
  });
});

describe("roles", () => {
  const user = (role: "admin" | "org_admin" | "user", orgId = "o1"): Principal => ({
    kind: "user",
    userId: "u",
    orgId,
    role,
    jti: "j",
  });

  test("requireRole passes listed roles and throws 403 otherwise", () => {
    expect(() => requireRole(user("admin"), "admin")).not.toThrow();
    expect(() => requireRole(user("org_admin"), "admin", "org_admin")).not.toThrow();
    let caught: unknown;
    try {
      requireRole(user("user"), "admin", "org_admin");
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(AppError);
    expect((caught as AppError).status).toBe(403);
    expect((caught as AppError).message).toContain("admin or org_admin");
  });

  test("canManageOrg: admin any, org_admin own, user and API keys none", () => {
    expect(canManageOrg(user("admin", "o1"), "o2")).toBe(true);
    expect(canManageOrg(user("org_admin", "o1"), "o1")).toBe(true);
    expect(canManageOrg(user("org_admin", "o1"), "o2")).toBe(false);
    expect(canManageOrg(user("user", "o1"), "o1")).toBe(false);
    const key: Principal = { kind: "api_key", apiKeyId: "k", orgId: "o1", role: "user" };
    expect(canManageOrg(key, "o1")).toBe(false);
  });
});
