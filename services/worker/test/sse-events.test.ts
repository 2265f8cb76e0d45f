/**
 * The events a worker produces, end to end: a real API and a real worker, each with its own
 * database pool, on one database and S3; the job's and the organisation's Server-Sent Event
 * streams read over HTTP, and another organisation's stream that must hear none of it.
 */

import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { ENGINES, postgresAvailable } from "@crpipeline/db/db.test-utils";
import { startTestApi, type Tenant, type TestApi, unique } from "../../api/test/api.test-utils.ts";
import { readSse, type SseEvent, type SseReader } from "../../api/test/sse.test-utils.ts";
import { startWorker, type Worker } from "../src/index.ts";
import { createHarness, fixture, type Harness, TEXT_STAGES } from "./worker.test-utils.ts";

// Logins run argon2id; the job itself takes well under a second.
setDefaultTimeout(60_000);
const EVENT_TIMEOUT_MS = 15_000;
const FINAL = new Set(["succeeded", "failed", "canceled"]);
const STAGES = [TEXT_STAGES.parse, TEXT_STAGES.report];

/**
 * Every (current stage, progress) the worker reports for parse → report: each stage at its
 * start and its end. The reporter keeps only the newest value while a write is in flight, so
 * the stream carries these in order with some in the middle possibly skipped, but always the
 * first (written at once) and the last (flushed before the job finishes).
 */
const REPORTED: [number, number][] = [
  [0, 0],
  [0, 0.5],
  [1, 0.5],
  [1, 1],
];

/** Everything a job's stream sends until the server ends it. */
async function readToEnd(stream: SseReader): Promise<SseEvent[]> {
  const events: SseEvent[] = [];
  for (;;) {
    try {
      events.push(await stream.next(EVENT_TIMEOUT_MS));
    } catch (error) {
      if (await stream.ended(0)) return events;
      throw error;
    }
  }
}

/** Everything an organisation's stream sends up to and including `jobId`'s final status. */
async function readToFinal(stream: SseReader, jobId: string): Promise<SseEvent[]> {
  const events: SseEvent[] = [];
  for (;;) {
    const event = await stream.next(EVENT_TIMEOUT_MS);
    events.push(event);
    if (event.data.jobId === jobId && FINAL.has(String(event.data.status))) return events;
  }
}

/** The payload every worker event of a one-attempt, uncanceled job carries. */
const payload = (jobId: string, status: string, currentStage: number, progress: number) => ({
  jobId,
  status,
  currentStage,
  progress,
  attempts: 1,
  cancelRequested: false,
  error: null,
  at: expect.any(Number),
});

async function createPipeline(api: TestApi, tenant: Tenant): Promise<string> {
  const reply = await api.call<{ pipeline: { id: string } }>(
    "POST",
    "/api/pipelines",
    tenant.admin.token,
    { name: unique("parse-report"), stages: STAGES },
  );
  expect(reply.status).toBe(201);
  return reply.body.pipeline.id;
}

/** Uploads the text invoice over HTTP with `pipelineId`; returns the job the upload queued. */
async function uploadWithJob(api: TestApi, tenant: Tenant, pipelineId: string) {
  const response = await api.upload(
    tenant.user.token,
    { name: "invoice.txt", bytes: await fixture("text.txt"), type: "text/plain" },
    { pipelineId },
  );
  expect(response.status).toBe(201);
  const body = (await response.json()) as { document: { id: string }; job?: { id: string } };
  if (!body.job) throw new Error("the upload queued no job");
  return { documentId: body.document.id, jobId: body.job.id };
}

async function openStream(api: TestApi, tenant: Tenant, path: string): Promise<SseReader> {
  const response = await api.fetch(path, { auth: tenant.user.token });
  expect(response.status).toBe(200);
  expect(response.headers.get("content-type")).toStartWith("text/event-stream");
  return readSse(response);
}

for (const engine of ENGINES) {
  const skip = engine === "postgres" && !postgresAvailable;
  describe.skipIf(skip)(`worker job events over SSE [${engine}]`, () => {
    let harness: Harness | undefined;
    let api: TestApi | undefined;
    let worker: Worker | undefined;
    const streams: SseReader[] = [];

    beforeAll(async () => {
      harness = await createHarness(engine);
      // Same database and S3 as the worker's runtime, through its own runtime and pool.
      api = await startTestApi(engine, harness.env);
    }, 60_000);

    afterAll(async () => {
      for (const stream of streams) await stream.close();
      await worker?.stop();
      await api?.stop();
      await harness?.cleanup();
    }, 30_000);

    test("a worker's events reach the job's and its org's streams, no other org's", async () => {
      if (!harness || !api) throw new Error("the API and the harness start in beforeAll");
      const owner = await api.createTenant("owner");
      const other = await api.createTenant("other");
      const ownerPipeline = await createPipeline(api, owner);
      const otherPipeline = await createPipeline(api, other);

      // Both organisation streams start before the job exists, so they can see all of it.
      const ownerOrg = await openStream(api, owner, "/api/events");
      const otherOrg = await openStream(api, other, "/api/events");
      streams.push(ownerOrg, otherOrg);
      const { documentId, jobId } = await uploadWithJob(api, owner, ownerPipeline);
      // The worker starts only once the job's stream is open: its snapshot is then `queued`
      // and every worker event comes after it.
      const jobStream = await openStream(api, owner, `/api/jobs/${jobId}/events`);
      streams.push(jobStream);
      worker = startWorker(harness.runtime, {
        concurrency: 1,
        leaseSeconds: 30,
        pollIntervalMs: 50,
      });

      const [snapshot, ...events] = await readToEnd(jobStream);
      expect(snapshot?.event).toBe("snapshot");
      expect(snapshot?.data).toMatchObject({
        id: jobId,
        documentId,
        pipelineId: ownerPipeline,
        status: "queued",
        currentStage: 0,
        progress: 0,
        attempts: 0,
        error: null,
      });

      const [running, ...rest] = events;
      const succeeded = rest.pop();
      expect(running?.event).toBe("job.status");
      expect(running?.data).toEqual(payload(jobId, "running", 0, 0));
      expect(succeeded?.event).toBe("job.status");
      expect(succeeded?.data).toEqual(payload(jobId, "succeeded", 1, 1));
      expect(rest.map((event) => event.event)).toEqual(rest.map(() => "job.progress"));
      const steps = rest.map((event) => [event.data.currentStage, event.data.progress]);
      expect(steps[0]).toEqual([0, 0]);
      expect(steps.at(-1)).toEqual([1, 1]);
      // In the reported order, none repeated: `steps` is an ordered subset of REPORTED.
      expect(steps).toEqual(
        REPORTED.filter(([s, p]) => steps.some(([t, q]) => s === t && p === q)),
      );
      for (const [i, event] of rest.entries()) {
        const [currentStage, progress] = steps[i] as [number, number];
        expect(event.data).toEqual(payload(jobId, "running", currentStage, progress));
      }
      // Ids are the resume cursor: numeric and strictly increasing.
      expect(events.map((event) => event.id)).toEqual(
        events.map(() => expect.stringMatching(/^\d+$/)),
      );
      const ids = events.map((event) => Number(event.id));
      expect(ids).toEqual([...new Set(ids)].toSorted((a, b) => a - b));

      // The organisation's stream: the API's job.created, then the very same worker events.
      const [created, ...orgEvents] = await readToFinal(ownerOrg, jobId);
      expect(created?.event).toBe("job.created");
      expect(created?.data).toEqual({ ...payload(jobId, "queued", 0, 0), attempts: 0 });
      expect(Number(created?.id)).toBeLessThan(ids[0] ?? 0);
      expect(orgEvents).toEqual(events);

      // The other organisation heard nothing all along: its own next job is the first thing
      // its stream carries (had the owner's events leaked, they would have come before it).
      const foreign = await uploadWithJob(api, other, otherPipeline);
      const otherEvents = await readToFinal(otherOrg, foreign.jobId);
      expect(otherEvents[0]?.event).toBe("job.created");
      expect(otherEvents.map((event) => event.data.jobId)).toEqual(
        otherEvents.map(() => foreign.jobId),
      );
      expect(otherEvents.at(-1)?.data).toEqual(payload(foreign.jobId, "succeeded", 1, 1));
    });

    test("a stream opened mid-job still ends with the job's final state", async () => {
      if (!harness || !api) throw new Error("the API and the harness start in beforeAll");
      worker ??= startWorker(harness.runtime, {
        concurrency: 1,
        leaseSeconds: 30,
        pollIntervalMs: 50,
      });
      const tenant = await api.createTenant("racing");
      const pipelineId = await createPipeline(api, tenant);
      // The worker picks each job up at once; the stream opens somewhere in its run, and
      // whatever it shows first, it must not miss the end nor stay open after it.
      for (let round = 0; round < 10; round++) {
        const { jobId } = await uploadWithJob(api, tenant, pipelineId);
        const stream = await openStream(api, tenant, `/api/jobs/${jobId}/events`);
        streams.push(stream);
        const events = await readToEnd(stream);
        const last = events.at(-1);
        expect({ round, status: last?.data.status }).toEqual({ round, status: "succeeded" });
        const ids = events.filter((event) => event.id).map((event) => Number(event.id));
        expect(ids).toEqual([...ids].toSorted((a, b) => a - b));
      }
    });
  });
}
