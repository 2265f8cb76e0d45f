/** Sessions: log in (rate limited per address and account), log out (revokes), who am I. */

import {
  clearSessionCookie,
  readBearerOrCookie,
  sessionCookie,
  type TokenClaims,
  verifyPassword,
} from "@crpipeline/auth";
import {
  appendAudit,
  findUserByEmail,
  getOrganisation,
  getUserById,
  recordLogin,
  revokeToken,
} from "@crpipeline/db";
import { AppError, badRequest } from "@crpipeline/errors";
import { type RateLimitResult, rateLimitedError } from "@crpipeline/ratelimit";
import type { LoginFailureReason } from "@crpipeline/telemetry";
import { Elysia } from "elysia";
import { z } from "zod";
import type { ApiDeps } from "../deps.ts";
import { authenticate, clientAddress } from "../http/auth.ts";
import { jsonRequestBody } from "../http/openapi.ts";
import { presentOrganisation, presentUser } from "../present.ts";

const loginBody = z.strictObject({
  email: z.email().max(320),
  password: z.string().min(1).max(1024),
});

const isSecure = (request: Request, deps: ApiDeps) =>
  deps.config.nodeEnv === "production" ||
  request.url.startsWith("https:") ||
  request.headers.get("x-forwarded-proto") === "https";

function parseLogin(raw: string): z.output<typeof loginBody> {
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    throw new AppError("malformed_body", "The request body is not valid JSON", 400);
  }
  const result = loginBody.safeParse(json);
  if (!result.success) {
    const fields = [...new Set(result.error.issues.map((i) => i.path.join(".") || "body"))];
    throw badRequest(`Invalid login request: check ${fields.join(", ")}`, { fields });
  }
  return result.data;
}

export function authRoutes(deps: ApiDeps) {
  const { db, metrics, limiter, tokens } = deps;
  const invalidCredentials = () =>
    new AppError("invalid_credentials", "Invalid email or password", 401);

  const failed = (reason: LoginFailureReason, error: AppError): never => {
    metrics.loginFailure(reason);
    throw error;
  };

  return new Elysia({ prefix: "/api/auth" })
    .post(
      "/login",
      async ({ body, request, server, set }) => {
        let credentials: z.output<typeof loginBody>;
        try {
          credentials = parseLogin(typeof body === "string" ? body : "");
        } catch (error) {
          return failed("invalid_request", error as AppError);
        }
        const email = credentials.email.toLowerCase();
        const ip = clientAddress(request, server, deps.config.trustProxyHops);

        const checks: RateLimitResult[] = await Promise.all([
          limiter.limit("login-ip", ip),
          limiter.limit("login-account", email),
        ]);
        const denied = checks.find((c) => !c.success);
        if (denied) {
          failed("rate_limited", rateLimitedError(denied, "Too many login attempts: try later"));
        }

        const user = await findUserByEmail(db, email);
        const passwordOk = await verifyPassword(credentials.password, user?.passwordHash);
        if (!user) return failed("unknown_user", invalidCredentials());
        const audit = {
          orgId: user.orgId,
          userId: user.id,
          targetType: "user",
          targetId: user.id,
          ip,
        };
        if (!passwordOk) {
          await appendAudit(db, {
            ...audit,
            action: "auth.login_failed",
            details: { reason: "bad_password" },
          });
          return failed("bad_password", invalidCredentials());
        }
        if (!user.active) {
          await appendAudit(db, {
            ...audit,
            action: "auth.login_failed",
            details: { reason: "inactive" },
          });
          return failed(
            "inactive",
            new AppError("account_inactive", "This account is deactivated", 401),
          );
        }

        const issued = await tokens.issue({
          userId: user.id,
          orgId: user.orgId,
          role: user.role,
          tokenVersion: user.tokenVersion,
        });
        await recordLogin(db, user.id);
        await appendAudit(db, { ...audit, action: "auth.login" });
        set.headers["set-cookie"] = sessionCookie(issued.token, {
          secure: isSecure(request, deps),
          maxAge: deps.sessionSeconds,
        });
        const { passwordHash: _hidden, ...publicUser } = user;
        return {
          token: issued.token,
          expiresAt: issued.expiresAt.toISOString(),
          user: presentUser(publicUser),
        };
      },
      {
        parse: "text",
        detail: {
          summary: "Log in with e-mail and password",
          requestBody: jsonRequestBody(loginBody, "E-mail and password"),
        },
      },
    )
    .post(
      "/logout",
      async ({ request, server, set }) => {
        const caller = await authenticate(request, deps);
        if (caller.kind !== "user") {
          throw badRequest("API keys have no session: revoke them with DELETE /api/api-keys/:id");
        }
        const claims: TokenClaims = await tokens.verify(readBearerOrCookie(request.headers) ?? "");
        await revokeToken(db, claims.jti, claims.expiresAt * 1000);
        await appendAudit(db, {
          orgId: caller.orgId,
          userId: caller.userId,
          action: "auth.logout",
          ip: clientAddress(request, server, deps.config.trustProxyHops),
        });
        set.headers["set-cookie"] = clearSessionCookie({ secure: isSecure(request, deps) });
        set.status = 204;
        return;
      },
      { detail: { summary: "Log out: the session token stops working" } },
    )
    .get(
      "/me",
      async ({ request }) => {
        const caller = await authenticate(request, deps);
        const organisation = await getOrganisation(db, caller.orgId);
        if (caller.kind === "api_key") {
          return {
            apiKey: { id: caller.apiKeyId },
            role: caller.role,
            organisation: organisation && presentOrganisation(organisation),
          };
        }
        const user = await getUserById(db, caller.userId);
        if (!user) throw new AppError("user_unknown", "User no longer exists", 401);
        return {
          user: presentUser(user),
          organisation: organisation && presentOrganisation(organisation),
        };
      },
      { detail: { summary: "The caller: user (or API key) and organisation" } },
    );
}
