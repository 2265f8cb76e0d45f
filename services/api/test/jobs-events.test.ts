/** Happy paths of the job routes, stage-output downloads and both Server-Sent Event streams. */

import { beforeAll, expect, test } from "bun:test";
import { upsertStageOutput } from "@crpipeline/db";
import { sampleValue } from "@crpipeline/telemetry";
import { describeEachApi, type Tenant, type TestApi } from "./api.test-utils.ts";
import { readSse } from "./sse.test-utils.ts";

interface JobBody {
  id: string;
  status: string;
  documentId: string;
  pipelineId: string;
  outputs?: Record<string, unknown>[];
}

async function uploadText(api: TestApi, tenant: Tenant, name = "notes.txt") {
  const response = await api.upload(tenant.user.token, { name, bytes: `text of ${name}` });
  expect(response.status).toBe(201);
  return ((await response.json()) as { document: { id: string } }).document.id;
}

async function createJob(api: TestApi, tenant: Tenant, documentId: string, pipelineId: string) {
  const reply = await api.call<{ job: JobBody }>("POST", "/api/jobs", tenant.user.token, {
    documentId,
    pipelineId,
  });
  expect(reply.status).toBe(201);
  return reply.body.job;
}

describeEachApi("job and event routes", (api) => {
  let tenant: Tenant;
  let pipelineId: string;
  beforeAll(async () => {
    tenant = await api().createTenant("jobs");
    pipelineId = (await api().createPipeline(tenant.admin.token)).id;
  });

  test("create, get (with outputs), list by status, cancel, retry", async () => {
    const documentId = await uploadText(api(), tenant);
    const job = await createJob(api(), tenant, documentId, pipelineId);
    expect(job).toMatchObject({ documentId, pipelineId, status: "queued", attempts: 0 });

    const got = await api().call<{ job: JobBody }>("GET", `/api/jobs/${job.id}`, tenant.user.token);
    expect(got.status).toBe(200);
    expect(got.body.job).toMatchObject({ id: job.id, status: "queued", outputs: [] });

    const canceledCount = async () =>
      sampleValue(await api().scrape(), "jobs_total", { status: "canceled" });
    const countedBefore = await canceledCount();
    const canceled = await api().call<{ job: JobBody }>(
      "POST",
      `/api/jobs/${job.id}/cancel`,
      tenant.user.token,
    );
    expect(canceled.status).toBe(200);
    expect(canceled.body.job.status).toBe("canceled");
    const twice = await api().call("POST", `/api/jobs/${job.id}/cancel`, tenant.user.token);
    expect(twice.status).toBe(409);
    // A job canceled in the queue reached its final state here: counted once, by the API.
    expect(await canceledCount()).toBe(countedBefore + 1);

    const other = await createJob(api(), tenant, documentId, pipelineId);
    const canceledList = await api().call<{ items: JobBody[]; total: number }>(
      "GET",
      "/api/jobs?status=canceled",
      tenant.user.token,
    );
    expect(canceledList.status).toBe(200);
    expect(canceledList.body.items.every((j) => j.status === "canceled")).toBe(true);
    expect(canceledList.body.items.map((j) => j.id)).toContain(job.id);
    expect(canceledList.body.items.map((j) => j.id)).not.toContain(other.id);
    const queuedList = await api().call<{ items: JobBody[] }>(
      "GET",
      `/api/jobs?status=queued&documentId=${documentId}`,
      tenant.user.token,
    );
    expect(queuedList.body.items.map((j) => j.id)).toEqual([other.id]);

    const retried = await api().call<{ job: JobBody }>(
      "POST",
      `/api/jobs/${job.id}/retry`,
      tenant.user.token,
    );
    expect(retried.status).toBe(200);
    expect(retried.body.job).toMatchObject({ id: job.id, status: "queued", attempts: 0 });
    const retryQueued = await api().call("POST", `/api/jobs/${job.id}/retry`, tenant.user.token);
    expect(retryQueued.status).toBe(409);
  });

  test("a stage output is listed on the job and downloads byte-identical", async () => {
    const documentId = await uploadText(api(), tenant);
    const job = await createJob(api(), tenant, documentId, pipelineId);
    const bytes = new TextEncoder().encode(
      JSON.stringify({ text: "Total 42", pages: [{ number: 1, text: "Total 42", source: "ocr" }] }),
    );
    const key = `orgs/${tenant.org.id}/jobs/${job.id}/0-ocr.json`;
    await api().runtime.store.put(key, bytes, { contentType: "application/json" });
    const output = await upsertStageOutput(api().runtime.db, {
      jobId: job.id,
      orgId: tenant.org.id,
      index: 0,
      stage: "ocr",
      name: "json",
      storageKey: key,
      contentType: "application/json",
      size: bytes.length,
    });

    const got = await api().call<{ job: JobBody }>("GET", `/api/jobs/${job.id}`, tenant.user.token);
    expect(got.body.job.outputs).toEqual([
      {
        id: output.id,
        stage: "ocr",
        index: 0,
        name: "json",
        contentType: "application/json",
        size: bytes.length,
        createdAt: expect.any(String),
      },
    ]);
    expect(JSON.stringify(got.body)).not.toContain("orgs/");

    const download = await api().fetch(`/api/jobs/${job.id}/outputs/${output.id}`, {
      auth: tenant.user.token,
    });
    expect(download.status).toBe(200);
    expect(download.headers.get("content-type")).toBe("application/json");
    expect(download.headers.get("content-disposition")).toContain(`${job.id}-0-ocr.json`);
    expect(Buffer.compare(new Uint8Array(await download.arrayBuffer()), bytes)).toBe(0);

    const audit = await api().call<{ items: { targetId: string; userId: string }[] }>(
      "GET",
      "/api/audit?action=output.download",
      tenant.admin.token,
    );
    expect(audit.body.items.map((e) => [e.targetId, e.userId])).toContainEqual([
      output.id,
      tenant.user.user.id,
    ]);
  });

  test("job SSE: the snapshot first, a job.status event on cancel, then the stream ends", async () => {
    const documentId = await uploadText(api(), tenant);
    const job = await createJob(api(), tenant, documentId, pipelineId);
    const response = await api().fetch(`/api/jobs/${job.id}/events`, { auth: tenant.user.token });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toStartWith("text/event-stream");
    const stream = readSse(response);
    try {
      const snapshot = await stream.next();
      expect(snapshot.event).toBe("snapshot");
      expect(snapshot.data).toMatchObject({ id: job.id, status: "queued" });

      const cancel = await api().call("POST", `/api/jobs/${job.id}/cancel`, tenant.user.token);
      expect(cancel.status).toBe(200);
      const event = await stream.next();
      expect(event.event).toBe("job.status");
      expect(event.id).toMatch(/^\d+$/);
      expect(event.data).toMatchObject({ jobId: job.id, status: "canceled" });
      expect(await stream.ended()).toBe(true);
    } finally {
      await stream.close();
    }
  });

  test("job SSE of a finished job sends the snapshot and ends", async () => {
    const documentId = await uploadText(api(), tenant);
    const job = await createJob(api(), tenant, documentId, pipelineId);
    await api().call("POST", `/api/jobs/${job.id}/cancel`, tenant.user.token);
    const response = await api().fetch(`/api/jobs/${job.id}/events`, { auth: tenant.user.token });
    const stream = readSse(response);
    expect((await stream.next()).data).toMatchObject({ id: job.id, status: "canceled" });
    expect(await stream.ended()).toBe(true);
  });

  test("/api/events streams the caller's organisation's events and no other's", async () => {
    const other = await api().createTenant("noisy");
    const otherPipeline = await api().createPipeline(other.admin.token);
    const otherDocument = await uploadText(api(), other);
    const documentId = await uploadText(api(), tenant);

    const response = await api().fetch("/api/events", { auth: tenant.user.token });
    expect(response.status).toBe(200);
    const stream = readSse(response);
    try {
      // The other organisation's job is created first: had it leaked, it would arrive first.
      const foreign = await createJob(api(), other, otherDocument, otherPipeline.id);
      const own = await createJob(api(), tenant, documentId, pipelineId);
      await api().call("POST", `/api/jobs/${foreign.id}/cancel`, other.user.token);
      await api().call("POST", `/api/jobs/${own.id}/cancel`, tenant.user.token);

      const created = await stream.next();
      expect(created.event).toBe("job.created");
      expect(created.data).toMatchObject({ jobId: own.id, status: "queued" });
      const canceled = await stream.next();
      expect(canceled.event).toBe("job.status");
      expect(canceled.data).toMatchObject({ jobId: own.id, status: "canceled" });
      // The org stream stays open after a final status.
      expect(await stream.ended(600)).toBe(false);
    } finally {
      await stream.close();
    }
  });
});
