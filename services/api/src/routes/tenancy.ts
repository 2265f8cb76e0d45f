/** Organisations (global admins) and users (org admins; admins for any organisation). */

import { hashPassword, type Principal, validatePasswordStrength } from "@crpipeline/auth";
import {
  createOrganisation,
  createUser,
  getOrganisation,
  getUser,
  listOrganisations,
  listUsers,
  updateOrganisation,
  updateUser,
} from "@crpipeline/db";
import { forbidden, notFound } from "@crpipeline/errors";
import { Elysia } from "elysia";
import { z } from "zod";
import type { ApiDeps } from "../deps.ts";
import { auditor } from "../http/audit.ts";
import { authorize } from "../http/auth.ts";
import { sortQuery } from "../http/paging.ts";
import { presentOrganisation, presentPage, presentUser } from "../present.ts";

const quota = z.number().int().min(0).max(10_000_000).nullable().optional();
const role = z.enum(["admin", "org_admin", "user"]);

const newOrg = z.strictObject({
  name: z.string().trim().min(1).max(100),
  monthlyUploadQuota: quota,
  monthlyJobQuota: quota,
});

const orgChanges = newOrg
  .partial()
  .refine(
    (c) => Object.keys(c).length > 0,
    "give at least one of name, monthlyUploadQuota, monthlyJobQuota",
  );

const newUser = z.strictObject({
  email: z.email().max(320),
  password: z.string().min(1).max(1024),
  name: z.string().trim().max(100).optional(),
  role: role.default("user"),
  /** Global admins may create users in another organisation. */
  orgId: z.string().min(1).max(64).optional(),
});

const userChanges = z
  .strictObject({
    name: z.string().trim().max(100).optional(),
    role: role.optional(),
    active: z.boolean().optional(),
    password: z.string().min(1).max(1024).optional(),
  })
  .refine((c) => Object.keys(c).length > 0, "give at least one of name, role, active, password");

const idParams = z.object({ id: z.string().min(1).max(64) });

/** The organisation a user-management call acts on: its own, or any for a global admin. */
function targetOrg(caller: Principal, requested: string | undefined): string {
  if (!requested || requested === caller.orgId) return caller.orgId;
  if (caller.role !== "admin") throw forbidden("Only global admins manage other organisations");
  return requested;
}

/** Org admins cannot hand out (or take away) global admin rights. */
function checkRoleGrant(caller: Principal, wanted: string | undefined) {
  if (wanted === "admin" && caller.role !== "admin") {
    throw forbidden("Only global admins can grant the admin role");
  }
}

export function tenancyRoutes(deps: ApiDeps) {
  const audit = auditor(deps.db, deps.config.trustProxyHops);
  const { db } = deps;

  return new Elysia({ prefix: "/api" })
    .get(
      "/orgs",
      async ({ request, query }) => {
        const caller = await authorize(request, deps);
        if (caller.role === "admin") {
          return presentPage(await listOrganisations(db, query), presentOrganisation);
        }
        const own = await getOrganisation(db, caller.orgId);
        return {
          items: own ? [presentOrganisation(own)] : [],
          nextCursor: null,
          total: own ? 1 : 0,
        };
      },
      { query: z.object(sortQuery(["createdAt", "name"] as const)) },
    )
    .post(
      "/orgs",
      async ({ request, body, set, server }) => {
        const caller = await authorize(request, deps, "admin");
        const organisation = await createOrganisation(db, body);
        await audit({ request, server }, caller, {
          orgId: organisation.id,
          action: "org.create",
          targetType: "organisation",
          targetId: organisation.id,
        });
        set.status = 201;
        return { organisation: presentOrganisation(organisation) };
      },
      { body: newOrg },
    )
    .patch(
      "/orgs/:id",
      async ({ request, params, body, server }) => {
        const caller = await authorize(request, deps, "admin");
        const organisation = await updateOrganisation(db, params.id, body);
        if (!organisation) throw notFound("Organisation");
        await audit({ request, server }, caller, {
          orgId: organisation.id,
          action: "org.update",
          targetType: "organisation",
          targetId: organisation.id,
          details: { changed: Object.keys(body).sort() },
        });
        return { organisation: presentOrganisation(organisation) };
      },
      {
        params: idParams,
        body: orgChanges,
        detail: { summary: "Rename an organisation or change its monthly quotas (admins)" },
      },
    )
    .get(
      "/users",
      async ({ request, query }) => {
        const caller = await authorize(request, deps, "admin", "org_admin");
        const { orgId, ...page } = query;
        return presentPage(await listUsers(db, targetOrg(caller, orgId), page), presentUser);
      },
      {
        query: z.object({
          ...sortQuery(["createdAt", "email"] as const),
          orgId: z.string().max(64).optional(),
        }),
      },
    )
    .post(
      "/users",
      async ({ request, body, server, set }) => {
        const caller = await authorize(request, deps, "admin", "org_admin");
        const orgId = targetOrg(caller, body.orgId);
        checkRoleGrant(caller, body.role);
        validatePasswordStrength(body.password);
        if (!(await getOrganisation(db, orgId))) throw notFound("Organisation");
        const user = await createUser(db, {
          orgId,
          email: body.email,
          name: body.name,
          role: body.role,
          passwordHash: await hashPassword(body.password),
        });
        await audit({ request, server }, caller, {
          orgId,
          action: "user.create",
          targetType: "user",
          targetId: user.id,
          details: { email: user.email, role: user.role },
        });
        set.status = 201;
        return { user: presentUser(user) };
      },
      { body: newUser },
    )
    .patch(
      "/users/:id",
      async ({ request, params, body, query, server }) => {
        const caller = await authorize(request, deps, "admin", "org_admin");
        const orgId = targetOrg(caller, query.orgId);
        const current = await getUser(db, orgId, params.id);
        if (!current) throw notFound("User");
        checkRoleGrant(caller, body.role);
        if (current.role === "admin") checkRoleGrant(caller, "admin");
        if (caller.kind === "user" && caller.userId === params.id && body.active === false) {
          throw forbidden("You cannot deactivate yourself");
        }
        if (body.password !== undefined) validatePasswordStrength(body.password);
        const user = await updateUser(db, orgId, params.id, {
          name: body.name,
          role: body.role,
          active: body.active,
          passwordHash: body.password === undefined ? undefined : await hashPassword(body.password),
        });
        if (!user) throw notFound("User");
        const { password: _secret, ...changed } = body;
        await audit({ request, server }, caller, {
          orgId,
          action: "user.update",
          targetType: "user",
          targetId: user.id,
          details: { ...changed, passwordChanged: body.password !== undefined },
        });
        return { user: presentUser(user) };
      },
      {
        params: idParams,
        body: userChanges,
        query: z.object({ orgId: z.string().max(64).optional() }),
      },
    );
}
