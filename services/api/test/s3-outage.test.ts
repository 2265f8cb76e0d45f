/**
 * S3 going down and coming back: uploads answer 503 and write nothing, /readyz says so, recovery.
 */

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { ENGINES, postgresAvailable } from "@crpipeline/db/db.test-utils";
import { silentLogger } from "@crpipeline/log";
import { type EmbeddedS3, startEmbeddedS3 } from "@crpipeline/storage";
import { sampleValue } from "@crpipeline/telemetry";
import { tempDir } from "@crpipeline/testing";
import { startTestApi, type Tenant, type TestApi } from "./api.test-utils.ts";

for (const engine of ENGINES) {
  describe.skipIf(engine === "postgres" && !postgresAvailable)(`S3 outage [${engine}]`, () => {
    const s3Dir = tempDir("crp-s3-");
    let s3: EmbeddedS3;
    let api: TestApi;
    let tenant: Tenant;

    beforeAll(async () => {
      s3 = await startEmbeddedS3({ dataDir: s3Dir.path, logger: silentLogger });
      api = await startTestApi(engine, {
        S3_ENDPOINT: s3.endpoint,
        AWS_ACCESS_KEY_ID: s3.accessKeyId,
        AWS_SECRET_ACCESS_KEY: s3.secretAccessKey,
      });
      tenant = await api.createTenant("outage");
    }, 60_000);
    afterAll(async () => {
      await api?.stop();
      await s3?.stop();
      s3Dir.cleanup();
    }, 30_000);

    const documents = async () =>
      (await api.call<{ total: number }>("GET", "/api/documents", tenant.user.token)).body.total;
    const usage = async () => (await api.call("GET", "/api/usage", tenant.user.token)).body;
    const putErrors = async () =>
      sampleValue(await api.scrape(), "s3_errors_total", { operation: "put" });

    test("while S3 is down: upload → 503 storage_unavailable, nothing written, /readyz 503", async () => {
      const ok = await api.upload(tenant.user.token, { name: "before.txt", bytes: "before" });
      expect(ok.status).toBe(201);
      const countBefore = await documents();
      const usageBefore = await usage();
      const errorsBefore = await putErrors();

      await s3.stop();

      const ready = await api.call<{ status: string; checks: Record<string, string> }>(
        "GET",
        "/readyz",
      );
      expect(ready.status).toBe(503);
      expect(ready.body.status).toBe("unavailable");
      expect(ready.body.checks.database).toBe("ok");
      expect(ready.body.checks.storage).not.toBe("ok");
      expect((await api.call("GET", "/healthz")).status).toBe(200);

      const failed = await api.upload(tenant.user.token, { name: "during.txt", bytes: "during" });
      expect(failed.status).toBe(503);
      const body = (await failed.json()) as { error: { code: string } };
      expect(body.error.code).toBe("storage_unavailable");
      expect(await documents()).toBe(countBefore);
      expect(await usage()).toEqual(usageBefore);
      expect(await putErrors()).toBeGreaterThan(errorsBefore);
    });

    test("after S3 is back on the same port, uploads and /readyz work again", async () => {
      s3 = await startEmbeddedS3({
        dataDir: s3Dir.path,
        logger: silentLogger,
        port: s3.port,
        secretAccessKey: s3.secretAccessKey,
      });
      const ready = await api.call("GET", "/readyz");
      expect(ready.status).toBe(200);
      const upload = await api.upload(tenant.user.token, { name: "after.txt", bytes: "after" });
      expect(upload.status).toBe(201);
      const { document } = (await upload.json()) as { document: { id: string } };
      const content = await api.fetch(`/api/documents/${document.id}/content`, {
        auth: tenant.user.token,
      });
      expect(await content.text()).toBe("after");
      // The object stored before the outage survived it.
      const keys = await api.runtime.store.list(`orgs/${tenant.org.id}/documents/`);
      expect(keys).toHaveLength(2);
    });
  });
}
