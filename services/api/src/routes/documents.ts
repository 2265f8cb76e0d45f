/** Documents: streamed uploads to S3 (row and object together or neither), lists, downloads. */

import type { Principal } from "@crpipeline/auth";
import {
  commitUpload,
  createDocument,
  deleteDocument,
  getDocument,
  getPipeline,
  journalDeletes,
  journalUpload,
  listDocuments,
  newDocumentId,
  releaseUsage,
  reserveUsage,
} from "@crpipeline/db";
import { forbidden, notFound } from "@crpipeline/errors";
import { Elysia } from "elysia";
import { z } from "zod";
import type { ApiDeps } from "../deps.ts";
import { auditor } from "../http/audit.ts";
import { authorize, clientAddress } from "../http/auth.ts";
import { uploadRequestBody } from "../http/openapi.ts";
import { sortQuery } from "../http/paging.ts";
import { deleteJournaled } from "../objects.ts";
import { presentDocument, presentJob, presentPage } from "../present.ts";
import { receiveUpload } from "../uploads/multipart.ts";
import { downloadResponse } from "./download.ts";
import { queueJob } from "./queue-job.ts";

const idParams = z.object({ id: z.string().min(1).max(64) });

export function documentRoutes(deps: ApiDeps) {
  const audit = auditor(deps.db, deps.config.trustProxyHops);
  const { db, store, config } = deps;

  async function upload(request: Request, caller: Principal) {
    await reserveUsage(db, caller.orgId, "uploads");
    const id = newDocumentId();
    const key = `orgs/${caller.orgId}/documents/${id}/original`;
    let jobReserved = false;
    try {
      // Before the first byte: should this process die, the journal knows the key.
      await journalUpload(db, key);
      const { stored, fields } = await receiveUpload(
        request,
        config.maxUploadBytes,
        async (file) => {
          await store.put(key, file.stream, { contentType: file.contentType });
          return file;
        },
        () => store.delete(key),
      );
      const pipelineId = fields.pipelineId?.trim() || undefined;
      // Check the pipeline before the row exists, so a bad id leaves nothing behind.
      if (pipelineId && !(await getPipeline(db, caller.orgId, pipelineId))) {
        throw notFound("Pipeline");
      }
      // The job's quota too: an upload refused for it (429) must not keep the document.
      if (pipelineId) {
        await reserveUsage(db, caller.orgId, "jobs");
        jobReserved = true;
      }
      const { size, sha256 } = stored.stats();
      // The row and the journal's release of the key commit together.
      const document = await db.transaction(async (tx) => {
        await commitUpload(tx, key);
        return createDocument(tx, {
          id,
          orgId: caller.orgId,
          uploadedBy: caller.kind === "user" ? caller.userId : null,
          apiKeyId: caller.kind === "api_key" ? caller.apiKeyId : null,
          name: stored.name,
          contentType: stored.contentType,
          size,
          sha256,
          storageKey: key,
        });
      });
      return { document, pipelineId };
    } catch (error) {
      await releaseUsage(db, caller.orgId, "uploads");
      if (jobReserved) await releaseUsage(db, caller.orgId, "jobs");
      // The object may or may not exist: even a PUT that failed during an S3 outage can have
      // stored it, and then a plain delete fails too. The journal entry turns into a deletion
      // (if the database is down as well, the sweeper turns it after the grace period).
      await journalDeletes(db, [key]).catch(() => {});
      await deleteJournaled(deps, key);
      throw error;
    }
  }

  return new Elysia({ prefix: "/api/documents" })
    .post(
      "",
      async ({ request, server, set }) => {
        const caller = await authorize(request, deps);
        const ip = clientAddress(request, server, deps.config.trustProxyHops);
        const { document, pipelineId } = await upload(request, caller);
        await audit({ request, server }, caller, {
          action: "document.upload",
          targetType: "document",
          targetId: document.id,
          details: { name: document.name, size: document.size, contentType: document.contentType },
        });
        const job = pipelineId
          ? await queueJob(deps, caller, document.id, pipelineId, ip, { quotaReserved: true })
          : undefined;
        set.status = 201;
        return { document: presentDocument(document), ...(job ? { job: presentJob(job) } : {}) };
      },
      {
        // The handler streams `request.body` itself. A function rather than "none": Elysia
        // honours "none" only when it is the route's sole parser, and the app adds a global one
        // (the JSON size check), after which it would read the whole upload as JSON.
        parse: () => null,
        detail: {
          requestBody: uploadRequestBody,
          summary: "Upload a document (multipart `file`, optional `pipelineId` to start a job)",
        },
      },
    )
    .get(
      "",
      async ({ request, query }) => {
        const caller = await authorize(request, deps);
        return presentPage(await listDocuments(db, caller.orgId, query), presentDocument);
      },
      {
        query: z.object({
          ...sortQuery(["createdAt", "name", "size"] as const),
          nameContains: z.string().max(200).optional(),
        }),
      },
    )
    .get(
      "/:id",
      async ({ request, params }) => {
        const caller = await authorize(request, deps);
        const document = await getDocument(db, caller.orgId, params.id);
        if (!document) throw notFound("Document");
        return { document: presentDocument(document) };
      },
      { params: idParams },
    )
    .get(
      "/:id/content",
      async ({ request, params, server }) => {
        const caller = await authorize(request, deps);
        const document = await getDocument(db, caller.orgId, params.id);
        if (!document) throw notFound("Document");
        const response = await downloadResponse(store, document.storageKey, document.name);
        await audit({ request, server }, caller, {
          action: "document.download",
          targetType: "document",
          targetId: document.id,
        });
        return response;
      },
      { params: idParams },
    )
    .delete(
      "/:id",
      async ({ request, params, server, set }) => {
        const caller = await authorize(request, deps);
        const document = await getDocument(db, caller.orgId, params.id);
        if (!document) throw notFound("Document");
        const uploader =
          caller.kind === "user"
            ? caller.userId === document.uploadedBy
            : caller.apiKeyId === document.apiKeyId;
        if (caller.role === "user" && !uploader) {
          throw forbidden(
            "Only its uploader (user or API key) or an org admin can delete a document",
          );
        }
        const deleted = await deleteDocument(db, caller.orgId, params.id);
        if (!deleted) throw notFound("Document");
        // Rows are gone first, with the keys in the journal: a failed object delete is retried
        // here while S3 is unavailable, and swept later if this process ends first.
        await Promise.all(deleted.storageKeys.map((key) => deleteJournaled(deps, key)));
        await audit({ request, server }, caller, {
          action: "document.delete",
          targetType: "document",
          targetId: params.id,
          details: { name: document.name },
        });
        set.status = 204;
      },
      { params: idParams },
    );
}
