import { expect, test } from "bun:test";
import {
  appendJobEvent,
  createJob,
  isTokenRevoked,
  listJobEvents,
  revokeToken,
} from "@crpipeline/db";
import { describeEachEngine, seedDocument, seedTenant } from "@crpipeline/db/db.test-utils";
import { silentLogger } from "@crpipeline/log";
import { startTestS3 } from "@crpipeline/storage/storage.test-utils";
import { startMaintenance } from "./maintenance.ts";

describeEachEngine("maintenance", (current) => {
  test("prunes events past the resume window and expired revocations, keeps the rest", async () => {
    const { db } = current();
    const { org } = await seedTenant(db, "maint");
    const document = await seedDocument(db, org.id);
    const job = await createJob(db, {
      orgId: org.id,
      documentId: document.id,
      pipelineId: null,
      pipelineName: "p",
      stages: [{ type: "report" }],
      maxAttempts: 3,
    });
    const old = await appendJobEvent(db, {
      orgId: org.id,
      jobId: job.id,
      type: "job.progress",
      payload: { status: "queued", currentStage: 0, progress: 0 },
    });
    await db.sql`UPDATE job_events SET created_at = ${Date.now() - 8 * 86_400_000} WHERE id = ${old.id}`;
    await revokeToken(db, "expired-jti", Date.now() - 1000);
    await revokeToken(db, "live-jti", Date.now() + 60_000);

    const s3 = await startTestS3();
    const maintenance = startMaintenance({ db, store: s3.store, logger: silentLogger });
    await maintenance.run();
    maintenance.stop();
    await s3.cleanup();

    const ids = (await listJobEvents(db, org.id, { afterId: 0 })).map((e) => e.id);
    expect(ids).not.toContain(old.id);
    expect(ids.length).toBeGreaterThan(0); // job.created, recent, is kept
    expect(await isTokenRevoked(db, "expired-jti")).toBe(false);
    expect(await isTokenRevoked(db, "live-jti")).toBe(true);
  });
});
