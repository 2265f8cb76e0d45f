/** The first admin: from ADMIN_EMAIL/ADMIN_PASSWORD/ADMIN_ORG at start-up, or the CLI. */

import { hashPassword, validatePasswordStrength } from "@crpipeline/auth";
import {
  createOrganisation,
  createUser,
  type Database,
  findUserByEmail,
  getOrganisationByName,
  type User,
} from "@crpipeline/db";
import type { Logger } from "@crpipeline/log";

export interface AdminRequest {
  email: string;
  password: string;
  org: string;
  role?: "admin" | "org_admin";
}

/** Creates the organisation (if new) and the user; an existing e-mail is left untouched. */
export async function createAdmin(
  db: Database,
  request: AdminRequest,
): Promise<{ user: User | null; created: boolean }> {
  validatePasswordStrength(request.password);
  const existing = await findUserByEmail(db, request.email);
  if (existing) {
    const { passwordHash: _hidden, ...user } = existing;
    return { user, created: false };
  }
  const organisation =
    (await getOrganisationByName(db, request.org)) ??
    (await createOrganisation(db, { name: request.org }));
  const user = await createUser(db, {
    orgId: organisation.id,
    email: request.email,
    name: "Administrator",
    role: request.role ?? "admin",
    passwordHash: await hashPassword(request.password),
  });
  return { user, created: true };
}

export async function bootstrapAdmin(deps: {
  db: Database;
  logger: Logger;
  config: { adminEmail?: string; adminPassword?: string; adminOrg?: string };
}): Promise<void> {
  const { adminEmail, adminPassword, adminOrg } = deps.config;
  if (!adminEmail || !adminPassword) return;
  const { created } = await createAdmin(deps.db, {
    email: adminEmail,
    password: adminPassword,
    org: adminOrg ?? "default",
  });
  if (created) deps.logger.info({ email: adminEmail }, "first admin created from ADMIN_* settings");
}
