/** Per-organisation API keys for scripts: shown once, stored hashed, revocable. */

import { generateApiKey } from "@crpipeline/auth";
import { createApiKey, listApiKeys, revokeApiKey } from "@crpipeline/db";
import { notFound } from "@crpipeline/errors";
import { Elysia } from "elysia";
import { z } from "zod";
import type { ApiDeps } from "../deps.ts";
import { auditor } from "../http/audit.ts";
import { authorize } from "../http/auth.ts";
import { pageQuery } from "../http/paging.ts";
import { presentApiKey, presentPage } from "../present.ts";

export function apiKeyRoutes(deps: ApiDeps) {
  const audit = auditor(deps.db, deps.config.trustProxyHops);
  const { db } = deps;
  return new Elysia({ prefix: "/api/api-keys" })
    .post(
      "",
      async ({ request, body, server, set }) => {
        const caller = await authorize(request, deps, "admin", "org_admin");
        const generated = generateApiKey();
        const apiKey = await createApiKey(db, {
          orgId: caller.orgId,
          createdBy: caller.kind === "user" ? caller.userId : null,
          name: body.name,
          prefix: generated.prefix,
          keyHash: generated.hash,
        });
        await audit({ request, server }, caller, {
          action: "api_key.create",
          targetType: "api_key",
          targetId: apiKey.id,
          details: { name: apiKey.name },
        });
        set.status = 201;
        // The only time the key itself is shown: only its hash is stored.
        return { apiKey: presentApiKey(apiKey), key: generated.key };
      },
      { body: z.strictObject({ name: z.string().trim().min(1).max(100) }) },
    )
    .get(
      "",
      async ({ request, query }) => {
        const caller = await authorize(request, deps, "admin", "org_admin");
        return presentPage(await listApiKeys(db, caller.orgId, query), presentApiKey);
      },
      { query: z.object(pageQuery) },
    )
    .delete(
      "/:id",
      async ({ request, params, server, set }) => {
        const caller = await authorize(request, deps, "admin", "org_admin");
        if (!(await revokeApiKey(db, caller.orgId, params.id))) throw notFound("API key");
        await audit({ request, server }, caller, {
          action: "api_key.revoke",
          targetType: "api_key",
          targetId: params.id,
        });
        set.status = 204;
      },
      { params: z.object({ id: z.string().min(1).max(64) }) },
    );
}
