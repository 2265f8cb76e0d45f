/** Org settings (prompt templates, AI endpoint, write-only secrets), usage and the audit log. */

import { promptPlaceholders } from "@crpipeline/ai";
import { getSettings, getUsage, listAudit, updateSettings } from "@crpipeline/db";
import { Elysia } from "elysia";
import { z } from "zod";
import type { ApiDeps } from "../deps.ts";
import { auditor } from "../http/audit.ts";
import { authorize } from "../http/auth.ts";

const templateName = z
  .string()
  .regex(/^[A-Za-z0-9_.-]{1,64}$/, "use letters, digits, _ . - (max 64)");

const settingsBody = z
  .strictObject({
    promptTemplates: z
      .record(templateName, z.string().min(1).max(20_000).nullable())
      .refine((r) => Object.keys(r).length <= 100, "at most 100 templates")
      .optional(),
    ai: z
      .strictObject({
        url: z
          .url({ protocol: /^https?$/ })
          .nullable()
          .optional(),
        model: z.string().min(1).max(200).nullable().optional(),
      })
      .optional(),
    secrets: z
      .strictObject({
        aiApiKey: z.string().min(1).max(4096).nullable().optional(),
        ocrKeys: z.record(templateName, z.string().min(1).max(4096).nullable()).optional(),
      })
      .optional(),
  })
  .refine((b) => Object.keys(b).length > 0, "give at least one of promptTemplates, ai, secrets");

export function settingsRoutes(deps: ApiDeps) {
  const audit = auditor(deps.db, deps.config.trustProxyHops);
  const { db } = deps;
  return new Elysia({ prefix: "/api" })
    .get("/settings", async ({ request }) => {
      const caller = await authorize(request, deps);
      return { settings: await getSettings(db, caller.orgId, deps.secrets) };
    })
    .put(
      "/settings",
      async ({ request, body, server }) => {
        const caller = await authorize(request, deps, "admin", "org_admin");
        for (const template of Object.values(body.promptTemplates ?? {})) {
          if (template) promptPlaceholders(template);
        }
        const settings = await updateSettings(db, caller.orgId, body, deps.secrets);
        await audit({ request, server }, caller, {
          action: "settings.update",
          targetType: "settings",
          targetId: caller.orgId,
          // Which parts changed, never the secret values.
          details: {
            promptTemplates: Object.keys(body.promptTemplates ?? {}),
            ai: body.ai !== undefined,
            secrets: Object.keys(body.secrets ?? {}),
          },
        });
        return { settings };
      },
      { body: settingsBody },
    )
    .get("/usage", async ({ request }) => {
      const caller = await authorize(request, deps);
      return { usage: await getUsage(db, caller.orgId) };
    })
    .get(
      "/audit",
      async ({ request, query }) => {
        const caller = await authorize(request, deps, "admin", "org_admin");
        return listAudit(db, caller.orgId, query);
      },
      {
        query: z.object({
          limit: z.coerce.number().int().min(1).max(100).optional(),
          cursor: z.string().max(500).optional(),
          order: z.enum(["asc", "desc"]).optional(),
          action: z.string().max(100).optional(),
        }),
      },
    );
}
