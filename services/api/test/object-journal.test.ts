/**
 * The object journal against real S3 and both databases: what a process that died mid-upload or
 * mid-deletion leaves is swept, a stalled upload cannot commit after the sweep gave it up, and
 * an S3 outage only postpones the sweep.
 */

import { expect, test } from "bun:test";
import {
  commitUpload,
  createDocument,
  deleteDocument,
  journalCounts,
  journalUpload,
  newDocumentId,
} from "@crpipeline/db";
import { silentLogger } from "@crpipeline/log";
import { sampleValue } from "@crpipeline/telemetry";
import { sweepObjects } from "../src/objects.ts";
import { describeEachApiOnOwnS3 } from "./own-s3.test-utils.ts";

const HOUR = 60 * 60 * 1000;

describeEachApiOnOwnS3("object journal", "journal", (current) => {
  const api = () => current().api;
  const tenant = () => current().tenant;
  const s3 = () => current().s3;

  const deps = () => ({ db: api().runtime.db, store: api().runtime.store, logger: silentLogger });
  const exists = async (key: string) => (await api().runtime.store.head(key)) !== null;
  const keyFor = (id: string) => `orgs/${tenant().org.id}/documents/${id}/original`;
  /** What an upload leaves when its process dies after storing the object, before the row. */
  async function crashedUpload(at: number) {
    const key = keyFor(newDocumentId());
    await journalUpload(api().runtime.db, key, at);
    await api().runtime.store.put(key, "orphaned bytes", { contentType: "text/plain" });
    return key;
  }

  /** The end of an upload: the journal's release of `key` and the row naming it, together. */
  const finishUpload = (key: string) =>
    api().runtime.db.transaction(async (tx) => {
      await commitUpload(tx, key);
      return createDocument(tx, {
        id: key.split("/").at(-2) ?? "",
        orgId: tenant().org.id,
        uploadedBy: null,
        name: "finished.txt",
        contentType: "text/plain",
        size: 14,
        sha256: "0".repeat(64),
        storageKey: key,
      });
    });

  test("API uploads leave nothing in the journal; deletions clear it", async () => {
    const before = await journalCounts(api().runtime.db);
    const reply = await api().upload(tenant().user.token, { name: "kept.txt", bytes: "kept" });
    expect(reply.status).toBe(201);
    const { document } = (await reply.json()) as { document: { id: string } };
    expect(await journalCounts(api().runtime.db)).toEqual(before);

    const deleted = await api().call(
      "DELETE",
      `/api/documents/${document.id}`,
      tenant().user.token,
    );
    expect(deleted.status).toBe(204);
    expect(await exists(keyFor(document.id))).toBe(false);
    expect(await journalCounts(api().runtime.db)).toEqual(before);
  });

  test("a dead upload's object is swept after the grace period, a live one is not", async () => {
    const now = Date.now();
    const dead = await crashedUpload(now - 2 * HOUR);
    const live = await crashedUpload(now);

    const result = await sweepObjects(deps(), { uploadGraceMs: HOUR, now });
    expect(result).toEqual({ deleted: 1, left: 0 });
    expect(await exists(dead)).toBe(false);
    expect(await exists(live)).toBe(true);
    expect(await journalCounts(api().runtime.db)).toMatchObject({ upload: 1, delete: 0 });

    // The live upload finishes normally: its row and the journal's release commit together.
    await finishUpload(live);
    expect(await journalCounts(api().runtime.db)).toMatchObject({ upload: 0, delete: 0 });
    await sweepObjects(deps(), { uploadGraceMs: 0 });
    expect(await exists(live)).toBe(true);
  });

  test("an upload the sweep gave up cannot commit: 503, no row for a lost object", async () => {
    const stalled = await crashedUpload(Date.now() - 2 * HOUR);
    await sweepObjects(deps(), { uploadGraceMs: HOUR });
    await expect(finishUpload(stalled)).rejects.toMatchObject({
      status: 503,
      code: "upload_abandoned",
    });
    const rows = await api().runtime.db.sql`
      SELECT id FROM documents WHERE storage_key = ${stalled}`;
    expect(rows).toHaveLength(0);
  });

  test("a deletion that met an S3 outage is finished by the sweep once S3 is back", async () => {
    const reply = await api().upload(tenant().user.token, { name: "doomed.txt", bytes: "doomed" });
    const { document } = (await reply.json()) as { document: { id: string } };
    const key = keyFor(document.id);

    // The rows go with S3 down: the keys wait in the journal, not in this process alone.
    await s3().stop();
    const deleted = await deleteDocument(api().runtime.db, tenant().org.id, document.id);
    expect(deleted?.storageKeys).toEqual([key]);
    const errorsBefore = sampleValue(await api().scrape(), "s3_errors_total", {
      operation: "delete",
    });
    const during = await sweepObjects(deps());
    expect(during.deleted).toBe(0);
    expect(during.left).toBeGreaterThanOrEqual(1);
    expect(
      sampleValue(await api().scrape(), "s3_errors_total", { operation: "delete" }),
    ).toBeGreaterThan(errorsBefore);
    expect((await journalCounts(api().runtime.db)).delete).toBeGreaterThanOrEqual(1);

    await s3().restart();
    const after = await sweepObjects(deps());
    expect(after.left).toBe(0);
    expect(after.deleted).toBeGreaterThanOrEqual(1);
    expect(await exists(key)).toBe(false);
    expect(await journalCounts(api().runtime.db)).toMatchObject({ delete: 0 });
  });
});
