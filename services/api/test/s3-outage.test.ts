/**
 * S3 going down and coming back: uploads answer 503 and write nothing, /readyz says so, recovery.
 */

import { expect, test } from "bun:test";
import { sampleValue } from "@crpipeline/telemetry";
import { describeEachApiOnOwnS3 } from "./own-s3.test-utils.ts";

describeEachApiOnOwnS3("S3 outage", "outage", (current) => {
  const api = () => current().api;
  const tenant = () => current().tenant;
  const s3 = () => current().s3;

  const documents = async () =>
    (await api().call<{ total: number }>("GET", "/api/documents", tenant().user.token)).body.total;
  const usage = async () => (await api().call("GET", "/api/usage", tenant().user.token)).body;
  const putErrors = async () =>
    sampleValue(await api().scrape(), "s3_errors_total", { operation: "put" });

  test("while S3 is down: upload → 503 storage_unavailable, nothing written, /readyz 503", async () => {
    const ok = await api().upload(tenant().user.token, { name: "before.txt", bytes: "before" });
    expect(ok.status).toBe(201);
    const countBefore = await documents();
    const usageBefore = await usage();
    const errorsBefore = await putErrors();

    await s3().stop();

    const ready = await api().call<{ status: string; checks: Record<string, string> }>(
      "GET",
      "/readyz",
    );
    expect(ready.status).toBe(503);
    expect(ready.body.status).toBe("unavailable");
    expect(ready.body.checks.database).toBe("ok");
    expect(ready.body.checks.storage).not.toBe("ok");
    expect((await api().call("GET", "/healthz")).status).toBe(200);

    const failed = await api().upload(tenant().user.token, { name: "during.txt", bytes: "during" });
    expect(failed.status).toBe(503);
    const body = (await failed.json()) as { error: { code: string } };
    expect(body.error.code).toBe("storage_unavailable");
    expect(await documents()).toBe(countBefore);
    expect(await usage()).toEqual(usageBefore);
    expect(await putErrors()).toBeGreaterThan(errorsBefore);
  });

  test("after S3 is back on the same port, uploads and /readyz work again", async () => {
    await s3().restart();
    const ready = await api().call("GET", "/readyz");
    expect(ready.status).toBe(200);
    const upload = await api().upload(tenant().user.token, { name: "after.txt", bytes: "after" });
    expect(upload.status).toBe(201);
    const { document } = (await upload.json()) as { document: { id: string } };
    const content = await api().fetch(`/api/documents/${document.id}/content`, {
      auth: tenant().user.token,
    });
    expect(await content.text()).toBe("after");
    // The object stored before the outage survived it.
    const keys = await api().runtime.store.list(`orgs/${tenant().org.id}/documents/`);
    expect(keys).toHaveLength(2);
  });
});
