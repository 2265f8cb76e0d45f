// With the S3 server stopped every call fails fast as a counted 503, and recovers on restart.

import { afterAll, beforeAll, expect, test } from "bun:test";
import { AppError } from "@crpipeline/errors";
import { silentLogger } from "@crpipeline/log";
import { type EmbeddedS3, startEmbeddedS3 } from "./embedded.ts";
import { chunkedStream, startTestS3, type TestS3, testBytes } from "./storage.test-utils.ts";

let s3: TestS3;
let restarted: EmbeddedS3 | undefined;
beforeAll(async () => {
  s3 = await startTestS3();
  await s3.store.put("kept/one", "survives a restart", { contentType: "text/plain" });
  await s3.server.stop();
});
afterAll(async () => {
  await restarted?.stop();
  await s3.cleanup();
});

type Call = [operation: string, name: string, run: () => Promise<unknown>];
const calls: Call[] = [
  ["put", "put bytes", () => s3.store.put("a/b", "x", { contentType: "text/plain" })],
  [
    "put",
    "put stream of unknown length",
    () => s3.store.put("a/c", chunkedStream(testBytes(100_000), 10_000), { contentType: "x/y" }),
  ],
  [
    "put",
    "put stream of known length",
    () =>
      s3.store.put("a/d", chunkedStream(testBytes(100_000), 10_000), {
        contentType: "x/y",
        contentLength: 100_000,
      }),
  ],
  ["get", "get", () => s3.store.get("kept/one")],
  ["get", "getBytes", () => s3.store.getBytes("kept/one")],
  ["head", "head", () => s3.store.head("kept/one")],
  ["head", "ping", () => s3.store.ping()],
  ["list", "list", () => s3.store.list("kept/")],
  ["list", "deletePrefix (fails listing)", () => s3.store.deletePrefix("kept/")],
  ["delete", "delete", () => s3.store.delete("kept/one")],
  ["create_bucket", "ensureBucket", () => s3.store.ensureBucket()],
];

test.each(calls)(
  "%s: %s rejects with a retryable 503 within seconds, counted once",
  async (operation, _name, run) => {
    const before = await s3.s3Errors(operation);
    const totalBefore = await s3.s3Errors();
    const started = performance.now();

    const error = await run().then(
      () => new Error("expected a failure"),
      (e: unknown) => e,
    );

    expect(performance.now() - started).toBeLessThan(3_000);
    expect(error).toBeInstanceOf(AppError);
    expect(error).toMatchObject({ status: 503, code: "storage_unavailable", retryable: true });
    expect(await s3.s3Errors(operation)).toBe(before + 1);
    expect(await s3.s3Errors()).toBe(totalBefore + 1);
  },
);

test("presigning needs no server, so it still works (and counts nothing)", async () => {
  const url = await s3.store.presignGet("kept/one", { expiresIn: 60 });
  expect(url).toStartWith(s3.server.endpoint);
  expect(await s3.s3Errors("presign")).toBe(0);
});

test("after a restart on the same port and directory the same store works again", async () => {
  restarted = await startEmbeddedS3({
    dataDir: s3.dataDir,
    logger: silentLogger,
    port: s3.server.port,
    secretAccessKey: s3.server.secretAccessKey,
  });
  expect(restarted.endpoint).toBe(s3.server.endpoint);

  const before = await s3.telemetry.scrape();
  expect(new TextDecoder().decode(await s3.store.getBytes("kept/one"))).toBe("survives a restart");
  await s3.store.put("a/after", "ok", { contentType: "text/plain" });
  expect((await s3.store.list("a/")).map((o) => o.key)).toEqual(["a/after"]);
  await s3.store.ping();
  expect(await s3.telemetry.scrape()).toBe(before);
});
