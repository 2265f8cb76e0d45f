/** Named rate-limit policies: how many checks one identifier may pass per sliding window. */

export interface RateLimitPolicy {
  limit: number;
  windowMs: number;
}

export const DEFAULT_POLICIES = {
  /** Login attempts per client address. */
  "login-ip": { limit: 10, windowMs: 60_000 },
  /** Login attempts per account, whatever the address. */
  "login-account": { limit: 5, windowMs: 5 * 60_000 },
  /** Authenticated API calls per user or API key. */
  api: { limit: 600, windowMs: 60_000 },
} satisfies Record<string, RateLimitPolicy>;

export type DefaultPolicyName = keyof typeof DEFAULT_POLICIES;

/** The default names autocomplete; any name passed in `policies` works too. */
export type PolicyName = DefaultPolicyName | (string & {});

export function validatePolicies(policies: Record<string, RateLimitPolicy>): void {
  for (const [name, { limit, windowMs }] of Object.entries(policies)) {
    if (!Number.isInteger(limit) || limit < 1) {
      throw new Error(`rate-limit policy ${name}: limit must be a positive integer`);
    }
    if (!Number.isInteger(windowMs) || windowMs < 1) {
      throw new Error(`rate-limit policy ${name}: windowMs must be a positive integer`);
    }
  }
}
