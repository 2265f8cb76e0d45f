/**
 * The object journal against real S3 and both databases: what a process that died mid-upload or
 * mid-deletion leaves is swept, a stalled upload cannot commit after the sweep gave it up, and
 * an S3 outage only postpones the sweep.
 */

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import {
  commitUpload,
  createDocument,
  deleteDocument,
  journalCounts,
  journalUpload,
  newDocumentId,
} from "@crpipeline/db";
import { ENGINES, postgresAvailable } from "@crpipeline/db/db.test-utils";
import { silentLogger } from "@crpipeline/log";
import { sampleValue } from "@crpipeline/telemetry";
import { sweepObjects } from "../src/objects.ts";
import {
  type OwnS3,
  startOwnS3,
  startTestApi,
  type Tenant,
  type TestApi,
} from "./api.test-utils.ts";

const HOUR = 60 * 60 * 1000;

for (const engine of ENGINES) {
  describe.skipIf(engine === "postgres" && !postgresAvailable)(`object journal [${engine}]`, () => {
    let s3: OwnS3;
    let api: TestApi;
    let tenant: Tenant;

    beforeAll(async () => {
      s3 = await startOwnS3();
      api = await startTestApi(engine, s3.env);
      tenant = await api.createTenant("journal");
    }, 60_000);
    afterAll(async () => {
      await api?.stop();
      await s3?.destroy();
    }, 30_000);

    const deps = () => ({ db: api.runtime.db, store: api.runtime.store, logger: silentLogger });
    const exists = async (key: string) => (await api.runtime.store.head(key)) !== null;
    const keyFor = (id: string) => `orgs/${tenant.org.id}/documents/${id}/original`;
    /** What an upload leaves when its process dies after storing the object, before the row. */
    async function crashedUpload(at: number) {
      const key = keyFor(newDocumentId());
      await journalUpload(api.runtime.db, key, at);
      await api.runtime.store.put(key, "orphaned bytes", { contentType: "text/plain" });
      return key;
    }

    test("uploads through the API leave nothing in the journal, and deletions clear it", async () => {
      const before = await journalCounts(api.runtime.db);
      const reply = await api.upload(tenant.user.token, { name: "kept.txt", bytes: "kept" });
      expect(reply.status).toBe(201);
      const { document } = (await reply.json()) as { document: { id: string } };
      expect(await journalCounts(api.runtime.db)).toEqual(before);

      const deleted = await api.call("DELETE", `/api/documents/${document.id}`, tenant.user.token);
      expect(deleted.status).toBe(204);
      expect(await exists(keyFor(document.id))).toBe(false);
      expect(await journalCounts(api.runtime.db)).toEqual(before);
    });

    test("a dead upload's object is swept after the grace period, a live one is not", async () => {
      const now = Date.now();
      const dead = await crashedUpload(now - 2 * HOUR);
      const live = await crashedUpload(now);

      const result = await sweepObjects(deps(), { uploadGraceMs: HOUR, now });
      expect(result).toEqual({ deleted: 1, left: 0 });
      expect(await exists(dead)).toBe(false);
      expect(await exists(live)).toBe(true);
      expect(await journalCounts(api.runtime.db)).toMatchObject({ upload: 1, delete: 0 });

      // The live upload finishes normally: its row and the journal's release commit together.
      const id = live.split("/").at(-2) ?? "";
      await api.runtime.db.transaction(async (tx) => {
        await commitUpload(tx, live);
        await createDocument(tx, {
          id,
          orgId: tenant.org.id,
          uploadedBy: null,
          name: "live.txt",
          contentType: "text/plain",
          size: 14,
          sha256: "0".repeat(64),
          storageKey: live,
        });
      });
      expect(await journalCounts(api.runtime.db)).toMatchObject({ upload: 0, delete: 0 });
      await sweepObjects(deps(), { uploadGraceMs: 0 });
      expect(await exists(live)).toBe(true);
    });

    test("an upload the sweep gave up cannot commit: 503, and no row points at a lost object", async () => {
      const stalled = await crashedUpload(Date.now() - 2 * HOUR);
      await sweepObjects(deps(), { uploadGraceMs: HOUR });
      const id = stalled.split("/").at(-2) ?? "";
      const commit = api.runtime.db.transaction(async (tx) => {
        await commitUpload(tx, stalled);
        return createDocument(tx, {
          id,
          orgId: tenant.org.id,
          uploadedBy: null,
          name: "stalled.txt",
          contentType: "text/plain",
          size: 14,
          sha256: "0".repeat(64),
          storageKey: stalled,
        });
      });
      await expect(commit).rejects.toMatchObject({ status: 503, code: "upload_abandoned" });
      const rows = await api.runtime.db.sql`SELECT id FROM documents WHERE id = ${id}`;
      expect(rows).toHaveLength(0);
    });

    test("a deletion that met an S3 outage is finished by the sweep once S3 is back", async () => {
      const reply = await api.upload(tenant.user.token, { name: "doomed.txt", bytes: "doomed" });
      const { document } = (await reply.json()) as { document: { id: string } };
      const key = keyFor(document.id);

      // The rows go with S3 down: the keys wait in the journal, not in this process alone.
      await s3.stop();
      const deleted = await deleteDocument(api.runtime.db, tenant.org.id, document.id);
      expect(deleted?.storageKeys).toEqual([key]);
      const errorsBefore = sampleValue(await api.scrape(), "s3_errors_total", {
        operation: "delete",
      });
      const during = await sweepObjects(deps());
      expect(during.deleted).toBe(0);
      expect(during.left).toBeGreaterThanOrEqual(1);
      expect(
        sampleValue(await api.scrape(), "s3_errors_total", { operation: "delete" }),
      ).toBeGreaterThan(errorsBefore);
      expect((await journalCounts(api.runtime.db)).delete).toBeGreaterThanOrEqual(1);

      await s3.restart();
      const after = await sweepObjects(deps());
      expect(after.left).toBe(0);
      expect(after.deleted).toBeGreaterThanOrEqual(1);
      expect(await exists(key)).toBe(false);
      expect(await journalCounts(api.runtime.db)).toMatchObject({ delete: 0 });
    });
  });
}
