/** Authentication and authorisation logic: passwords, session tokens, API keys, cookies, roles. */

export {
  apiKeyErrors,
  apiKeyMatches,
  type GeneratedApiKey,
  generateApiKey,
  hashApiKey,
  parseApiKey,
} from "./api-keys.ts";
export {
  type ApiKeyRecord,
  type ApiKeyStore,
  authenticateApiKey,
  authenticateToken,
  type SessionStore,
  type UserState,
} from "./authenticate.ts";
export {
  type CookieOptions,
  clearSessionCookie,
  readBearerOrCookie,
  SESSION_COOKIE,
  sessionCookie,
} from "./cookies.ts";
export { type ResolveJwtSecretDeps, resolveJwtSecret } from "./jwt-secret.ts";
export {
  hashPassword,
  MAX_PASSWORD_BYTES,
  MIN_PASSWORD_CHARS,
  validatePasswordStrength,
  verifyPassword,
} from "./passwords.ts";
export {
  type ApiKeyPrincipal,
  canManageOrg,
  isRole,
  type Principal,
  ROLES,
  type Role,
  requireRole,
  type UserPrincipal,
} from "./roles.ts";
export { orgSecretBox } from "./secrets-key.ts";
export { tokenErrors } from "./token-errors.ts";
export {
  createTokenService,
  type IssuedToken,
  type TokenClaims,
  type TokenService,
  type TokenServiceOptions,
  type TokenSubject,
} from "./tokens.ts";
