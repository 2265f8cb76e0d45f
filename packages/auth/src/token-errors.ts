/**
 * The 401 errors a session token can fail with, one code per reason so clients and logs can tell.
 */

import { AppError } from "@crpipeline/errors";

const denied = (code: string, message: string) => new AppError(code, message, 401);

export const tokenErrors = {
  expired: () => denied("token_expired", "Session expired; sign in again"),
  badSignature: () => denied("token_bad_signature", "Session token signature does not match"),
  badAlgorithm: () => denied("token_bad_algorithm", "Session token uses a rejected algorithm"),
  wrongIssuer: () => denied("token_wrong_issuer", "Session token was issued by someone else"),
  wrongAudience: () => denied("token_wrong_audience", "Session token is not meant for this API"),
  malformed: (why: string) => denied("token_malformed", `Session token is malformed: ${why}`),
  revoked: () => denied("session_revoked", "Session was signed out; sign in again"),
  outdated: () => denied("session_outdated", "Session was invalidated; sign in again"),
  unknownUser: () => denied("user_unknown", "The session's user no longer exists"),
  inactive: () => denied("user_inactive", "User is deactivated"),
};
