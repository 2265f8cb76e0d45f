/** Worker test fixtures: a runtime on a test database and a real embedded S3, jobs and metrics. */

import { afterAll, beforeAll, describe } from "bun:test";
import { join } from "node:path";
import { type Config, loadConfig } from "@crpipeline/config";
import {
  createDocument,
  createJob,
  type Document,
  type Engine,
  getJob,
  type Job,
  type JobWithOutputs,
  newDocumentId,
  updateSettings,
} from "@crpipeline/db";
import {
  createTestDatabase,
  ENGINES,
  postgresAvailable,
  seedTenant,
  type TestDatabase,
} from "@crpipeline/db/db.test-utils";
import { createLogger, type LogLevel } from "@crpipeline/log";
import { openRuntime, type Runtime } from "@crpipeline/runtime";
import { type EmbeddedS3, startEmbeddedS3 } from "@crpipeline/storage";
import { sampleValue } from "@crpipeline/telemetry";
import { tempDir, waitFor } from "@crpipeline/testing";

export const OCR_FIXTURES = join(import.meta.dir, "..", "..", "..", "packages", "ocr", "fixtures");

export const fixture = (name: string) => Bun.file(join(OCR_FIXTURES, name)).bytes();

const testLogger = () =>
  createLogger("worker-test", { level: (process.env.TEST_LOG_LEVEL as LogLevel) ?? "silent" });

export interface Harness {
  engine: Engine;
  testDb: TestDatabase;
  s3: EmbeddedS3;
  /** The environment a worker in another process needs to reach the same database and S3. */
  env: Record<string, string>;
  config: Config;
  runtime: Runtime;
  orgId: string;
  /** Another runtime on the same database and S3 (a second worker); closed by `cleanup`. */
  openRuntime(): Promise<Runtime>;
  upload(name: string, contentType: string, bytes: Uint8Array | string): Promise<Document>;
  queue(documentId: string, stages: unknown[], maxAttempts?: number): Promise<Job>;
  job(id: string): Promise<JobWithOutputs>;
  /** Waits until the job is in one of `statuses`. */
  waitForStatus(id: string, statuses: string[], timeoutMs?: number): Promise<JobWithOutputs>;
  metric(name: string, labels?: Record<string, string>, runtime?: Runtime): Promise<number>;
  cleanup(): Promise<void>;
}

export async function createHarness(
  engine: Engine,
  extraEnv: Record<string, string> = {},
): Promise<Harness> {
  const testDb = await createTestDatabase(engine);
  const dir = tempDir("crp-worker-");
  const s3 = await startEmbeddedS3({ dataDir: join(dir.path, "s3"), logger: testLogger() });
  const env: Record<string, string> = {
    DATA_DIR: dir.path,
    DATABASE_URL: testDb.url,
    S3_ENDPOINT: s3.endpoint,
    S3_BUCKET: "worker-test",
    AWS_ACCESS_KEY_ID: s3.accessKeyId,
    AWS_SECRET_ACCESS_KEY: s3.secretAccessKey,
    OCR_CONCURRENCY: "2",
    LOG_LEVEL: "silent",
    OTEL_METRICS_EXPORTER: "prometheus",
    ...extraEnv,
  };
  const config = loadConfig(env);
  const runtimes: Runtime[] = [];
  const open = async () => {
    const runtime = await openRuntime({ config, logger: testLogger(), serveMetrics: false });
    runtimes.push(runtime);
    return runtime;
  };
  const runtime = await open();
  const { org } = await seedTenant(runtime.db, "worker");

  const job = async (id: string) => {
    const found = await getJob(runtime.db, org.id, id);
    if (!found) throw new Error(`job ${id} not found`);
    return found;
  };

  return {
    engine,
    testDb,
    s3,
    env,
    config,
    runtime,
    orgId: org.id,
    openRuntime: open,
    async upload(name, contentType, bytes) {
      const id = newDocumentId();
      const storageKey = `orgs/${org.id}/documents/${id}/original`;
      const { size } = await runtime.store.put(storageKey, bytes, { contentType });
      return createDocument(runtime.db, {
        id,
        orgId: org.id,
        uploadedBy: null,
        name,
        contentType,
        size,
        sha256: new Bun.CryptoHasher("sha256").update(bytes).digest("hex"),
        storageKey,
      });
    },
    queue: (documentId, stages, maxAttempts = 3) =>
      createJob(runtime.db, {
        orgId: org.id,
        documentId,
        pipelineId: null,
        pipelineName: "test pipeline",
        stages,
        maxAttempts,
      }),
    job,
    waitForStatus: (id, statuses, timeoutMs = 30_000) =>
      waitFor(
        async () => {
          const current = await job(id);
          return statuses.includes(current.status) ? current : null;
        },
        { timeoutMs, intervalMs: 25, what: `job ${id} to be ${statuses.join(" or ")}` },
      ),
    async metric(name, labels = {}, from = runtime) {
      return sampleValue(await from.telemetry.scrape(), name, labels);
    },
    async cleanup() {
      for (const opened of runtimes.reverse()) await opened.close();
      await s3.stop();
      await testDb.cleanup();
      dir.cleanup();
    },
  };
}

/** The text of a stored output. */
export async function outputText(runtime: Runtime, storageKey: string): Promise<string> {
  return new TextDecoder().decode(await runtime.store.getBytes(storageKey));
}

/**
 * Runs `body` once per engine with one harness per engine block; the Postgres block is skipped
 * outside CI when no server answers (and fails under CI=true, via `postgresAvailable`).
 */
export function describeEachHarness(
  name: string,
  body: (current: () => Harness) => void,
  engines: readonly Engine[] = ENGINES,
): void {
  for (const engine of engines) {
    describe.skipIf(engine === "postgres" && !postgresAvailable)(`${name} [${engine}]`, () => {
      let harness: Harness | undefined;
      beforeAll(async () => {
        harness = await createHarness(engine);
      });
      afterAll(async () => {
        await harness?.cleanup();
      });
      body(() => {
        if (!harness) throw new Error("the harness exists only inside tests and hooks");
        return harness;
      });
    });
  }
}

/** Points the organisation's AI settings at `url` (null: none, so AI_API_URL applies). */
export async function useAiEndpoint(harness: Harness, url: string | null, apiKey: string | null) {
  await updateSettings(
    harness.runtime.db,
    harness.orgId,
    { ai: { url }, secrets: { aiApiKey: apiKey } },
    harness.runtime.secrets,
  );
}

export const TEXT_STAGES = {
  parse: { type: "parse", keywords: ["Invoice", "Total"] },
  ai: { type: "ai", prompt: "Summarise {{document.name}}: {{text}}", maxRetries: 0 },
  report: { type: "report" },
} as const;

/** A plain-text invoice document. */
export const uploadText = async (harness: Harness, name = "invoice.txt") =>
  harness.upload(name, "text/plain", await fixture("text.txt"));
