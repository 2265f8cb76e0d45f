/**
 * Resolves the caller (session token or API key), applies the per-caller rate limit, checks roles.
 */

import {
  authenticateToken,
  hashApiKey,
  type Principal,
  parseApiKey,
  type Role,
  readBearerOrCookie,
  requireRole,
} from "@crpipeline/auth";
import { findApiKeyByHash, getUserById, isTokenRevoked, touchApiKey } from "@crpipeline/db";
import { AppError, unauthorized } from "@crpipeline/errors";
import { rateLimitedError, rateLimitHeaders } from "@crpipeline/ratelimit";
import type { ApiDeps } from "../deps.ts";

type AuthDeps = Pick<ApiDeps, "db" | "tokens" | "limiter">;

async function fromApiKey(header: string, { db }: AuthDeps): Promise<Principal> {
  const { key } = parseApiKey(header);
  const owner = await findApiKeyByHash(db, hashApiKey(key));
  if (!owner) throw new AppError("api_key_invalid", "Invalid or revoked API key", 401);
  if (owner.creator && !owner.creator.active) {
    throw new AppError("api_key_invalid", "The API key's creator is deactivated", 401);
  }
  // Last-use tracking must not fail the request.
  touchApiKey(db, owner.apiKey.id).catch(() => {});
  return { kind: "api_key", apiKeyId: owner.apiKey.id, orgId: owner.apiKey.orgId, role: "user" };
}

function fromToken(token: string, { db, tokens }: AuthDeps): Promise<Principal> {
  return authenticateToken(token, {
    tokens,
    store: {
      isRevoked: (jti) => isTokenRevoked(db, jti),
      getUserState: async (userId) => {
        const user = await getUserById(db, userId);
        return user
          ? {
              active: user.active,
              role: user.role,
              orgId: user.orgId,
              tokenVersion: user.tokenVersion,
            }
          : null;
      },
    },
  });
}

/** The `RateLimit-*` headers of each authenticated request, for whatever answer it gets. */
const limitHeadersByRequest = new WeakMap<Request, Record<string, string>>();

/** The rate-limit headers `authenticate` found for `request`, if it authenticated one. */
export function limitHeadersOf(request: Request): Record<string, string> | undefined {
  return limitHeadersByRequest.get(request);
}

/** The caller of `request`, or a 401; a 429 once they pass the `api` policy. */
export async function authenticate(request: Request, deps: AuthDeps): Promise<Principal> {
  const apiKey = request.headers.get("x-api-key");
  const token = apiKey ? null : readBearerOrCookie(request.headers);
  if (!apiKey && !token) throw unauthorized("Log in or send an API key (X-API-Key)");
  const principal = apiKey ? await fromApiKey(apiKey, deps) : await fromToken(token ?? "", deps);

  const identity =
    principal.kind === "user" ? `user:${principal.userId}` : `key:${principal.apiKeyId}`;
  const limit = await deps.limiter.limit("api", identity);
  if (!limit.success) throw rateLimitedError(limit, "Too many requests: slow down");
  limitHeadersByRequest.set(request, rateLimitHeaders(limit));
  return principal;
}

/** Authenticates and requires one of `roles` (an empty list allows every role). */
export async function authorize(
  request: Request,
  deps: AuthDeps,
  ...roles: Role[]
): Promise<Principal> {
  const caller = await authenticate(request, deps);
  if (roles.length > 0) requireRole(caller, ...roles);
  return caller;
}

export const actorOf = (caller: Principal) =>
  caller.kind === "user"
    ? { userId: caller.userId, apiKeyId: null }
    : { userId: null, apiKeyId: caller.apiKeyId };

/**
 * The client's address, for login limits and the audit log. With `trustedHops` = 0 it is the
 * socket's peer; behind N reverse proxies it is the N-th address from the right of
 * X-Forwarded-For (the one the outermost trusted proxy saw), so clients cannot forge it.
 */
export function clientAddress(
  request: Request,
  server: { requestIP(r: Request): { address: string } | null } | null,
  trustedHops = 0,
): string {
  const peer = server?.requestIP(request)?.address ?? "unknown";
  if (trustedHops === 0) return peer;
  const forwarded = (request.headers.get("x-forwarded-for") ?? "")
    .split(",")
    .map((part) => part.trim())
    .filter(Boolean);
  return forwarded[forwarded.length - trustedHops] ?? forwarded[0] ?? peer;
}
