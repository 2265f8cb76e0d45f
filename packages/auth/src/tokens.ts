/** Issues and verifies HS256 session tokens (jose) with fixed issuer, audience and algorithm. */

import { errors, jwtVerify, SignJWT } from "jose";
import { isRole, type Role } from "./roles.ts";
import { tokenErrors } from "./token-errors.ts";

const ALGORITHM = "HS256";

export interface TokenSubject {
  userId: string;
  orgId: string;
  role: Role;
  /** The user's token version when the token was issued; bumping it ends every session. */
  tokenVersion: number;
}

export interface TokenClaims extends TokenSubject {
  jti: string;
  /** Epoch seconds. */
  issuedAt: number;
  /** Epoch seconds. */
  expiresAt: number;
}

export interface IssuedToken {
  token: string;
  jti: string;
  expiresAt: Date;
}

export interface TokenService {
  issue(subject: TokenSubject): Promise<IssuedToken>;
  /** Verifies signature, algorithm, issuer, audience and expiry; throws a 401 AppError. */
  verify(token: string): Promise<TokenClaims>;
}

export interface TokenServiceOptions {
  secret: Uint8Array;
  issuer: string;
  audience: string;
  ttlSeconds: number;
  /** Milliseconds since the epoch; tests move it to check expiry without waiting. */
  now?: () => number;
}

export function createTokenService(options: TokenServiceOptions): TokenService {
  const { secret, issuer, audience, ttlSeconds } = options;
  const now = options.now ?? Date.now;
  if (secret.length < 32) throw new Error("JWT secret must be at least 32 bytes");

  return {
    async issue(subject) {
      const jti = crypto.randomUUID();
      const issuedAt = Math.floor(now() / 1000);
      const expiresAt = issuedAt + ttlSeconds;
      const token = await new SignJWT({
        org: subject.orgId,
        role: subject.role,
        ver: subject.tokenVersion,
      })
        .setProtectedHeader({ alg: ALGORITHM, typ: "JWT" })
        .setSubject(subject.userId)
        .setJti(jti)
        .setIssuer(issuer)
        .setAudience(audience)
        .setIssuedAt(issuedAt)
        .setExpirationTime(expiresAt)
        .sign(secret);
      return { token, jti, expiresAt: new Date(expiresAt * 1000) };
    },

    async verify(token) {
      let payload: Record<string, unknown>;
      try {
        ({ payload } = await jwtVerify(token, secret, {
          algorithms: [ALGORITHM],
          issuer,
          audience,
          currentDate: new Date(now()),
          requiredClaims: ["sub", "jti", "iat", "exp"],
        }));
      } catch (error) {
        throw translate(error);
      }
      return readClaims(payload);
    },
  };
}

function translate(error: unknown) {
  if (error instanceof errors.JWTExpired) return tokenErrors.expired();
  if (error instanceof errors.JWSSignatureVerificationFailed) return tokenErrors.badSignature();
  if (error instanceof errors.JOSEAlgNotAllowed) return tokenErrors.badAlgorithm();
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === "iss" && error.reason === "check_failed") return tokenErrors.wrongIssuer();
    if (error.claim === "aud" && error.reason === "check_failed") {
      return tokenErrors.wrongAudience();
    }
    return tokenErrors.malformed(error.message);
  }
  if (error instanceof errors.JOSEError) return tokenErrors.malformed(error.message);
  return tokenErrors.malformed("could not be decoded");
}

// The signature covers these, but a token from an older release could still lack or mistype one.
function readClaims(payload: Record<string, unknown>): TokenClaims {
  const { sub, org, role, ver, jti, iat, exp } = payload;
  if (typeof sub !== "string" || typeof jti !== "string") {
    throw tokenErrors.malformed("sub and jti must be strings");
  }
  if (typeof org !== "string") throw tokenErrors.malformed("org must be a string");
  if (!isRole(role)) throw tokenErrors.malformed("role is not a known role");
  if (!Number.isInteger(ver)) throw tokenErrors.malformed("ver must be an integer");
  return {
    userId: sub,
    orgId: org,
    role,
    tokenVersion: ver as number,
    jti,
    issuedAt: iat as number,
    expiresAt: exp as number,
  };
}
