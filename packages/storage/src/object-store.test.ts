// Round trips through a real s3rver: streamed and buffered puts, head, list, delete.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { AppError } from "@crpipeline/errors";
import {
  chunkedStream,
  sha256,
  startTestS3,
  type TestS3,
  testBytes,
} from "./storage.test-utils.ts";

let s3: TestS3;
beforeAll(async () => {
  s3 = await startTestS3();
});
afterAll(async () => {
  await s3.cleanup();
});

const MiB = 1024 * 1024;

describe("put and get", () => {
  test("a multi-MB stream of unknown length reads back byte-identical", async () => {
    const data = testBytes(12 * MiB + 12345, 7);
    const result = await s3.store.put(
      "orgs/1/documents/a/original",
      chunkedStream(data, 64 * 1024),
      {
        contentType: "application/pdf",
      },
    );
    expect(result.size).toBe(data.length);

    const read = await s3.store.get("orgs/1/documents/a/original");
    expect(read.size).toBe(data.length);
    expect(read.contentType).toBe("application/pdf");
    const back = new Uint8Array(await new Response(read.body).arrayBuffer());
    expect(back.length).toBe(data.length);
    expect(sha256(back)).toBe(sha256(data));
  });

  test("a small stream of unknown length (single PutObject) reads back identical", async () => {
    const data = testBytes(70_001, 3);
    await s3.store.put("small/unknown", chunkedStream(data, 1000), { contentType: "text/plain" });
    expect(sha256(await s3.store.getBytes("small/unknown"))).toBe(sha256(data));
  });

  test("a stream of known length is sent in one request and reads back identical", async () => {
    const data = testBytes(3 * MiB + 17, 11);
    const result = await s3.store.put("known/len", chunkedStream(data, 100_000), {
      contentType: "image/png",
      contentLength: data.length,
    });
    expect(result.size).toBe(data.length);
    expect(sha256(await s3.store.getBytes("known/len"))).toBe(sha256(data));
  });

  test("bytes and strings round-trip, with size and etag", async () => {
    const bytes = testBytes(5000, 5);
    const put = await s3.store.put("b/bytes", bytes, { contentType: "application/octet-stream" });
    expect(put).toEqual({ size: 5000, etag: expect.stringMatching(/^[0-9a-f]{32}$/) });
    expect(sha256(await s3.store.getBytes("b/bytes"))).toBe(sha256(bytes));

    const text = "héllo, wörld\n";
    const putText = await s3.store.put("b/text", text, { contentType: "text/markdown" });
    expect(putText.size).toBe(Buffer.byteLength(text));
    expect(new TextDecoder().decode(await s3.store.getBytes("b/text"))).toBe(text);
  });

  test("an empty stream stores an empty object", async () => {
    await s3.store.put("b/empty", chunkedStream(new Uint8Array(0), 10), {
      contentType: "text/plain",
    });
    expect((await s3.store.getBytes("b/empty")).length).toBe(0);
    expect((await s3.store.head("b/empty"))?.size).toBe(0);
  });

  test("a body that fails keeps its own error and is not counted as an S3 error", async () => {
    const tooLarge = new AppError("payload_too_large", "Upload exceeds 1 MiB", 413);
    let sent = 0;
    const failing = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent >= 3) return controller.error(tooLarge);
        sent++;
        controller.enqueue(testBytes(400_000, sent));
      },
    });
    const before = await s3.s3Errors("put");

    const error = await s3.store
      .put("b/limited", failing, { contentType: "text/plain" })
      .catch((e) => e);
    expect(error).toBe(tooLarge);
    expect(await s3.s3Errors("put")).toBe(before);
    expect(await s3.store.head("b/limited")).toBeNull();
  });

  test("a stream longer or shorter than its contentLength is refused with 400", async () => {
    const data = testBytes(10_000);
    for (const contentLength of [9_999, 10_001]) {
      const error = await s3.store
        .put("b/mismatch", chunkedStream(data, 1000), { contentType: "text/plain", contentLength })
        .catch((e) => e);
      expect(error).toBeInstanceOf(AppError);
      expect(error).toMatchObject({ status: 400, code: "body_length_mismatch" });
    }
    expect(await s3.s3Errors("put")).toBe(0);
  });

  test("get of a missing key is a 404 not_found and not an S3 error", async () => {
    const error = await s3.store.get("nope/missing").catch((e) => e);
    expect(error).toBeInstanceOf(AppError);
    expect(error).toMatchObject({ status: 404, code: "not_found" });
    await expect(s3.store.getBytes("nope/missing")).rejects.toMatchObject({ status: 404 });
    expect(await s3.s3Errors("get")).toBe(0);
  });
});

describe("head, list, delete", () => {
  test("head answers meta for an object and null for a missing one, without counting", async () => {
    await s3.store.put("h/one", "12345", { contentType: "application/json" });
    const meta = await s3.store.head("h/one");
    expect(meta).toMatchObject({ key: "h/one", size: 5, contentType: "application/json" });
    expect(meta?.lastModified).toBeInstanceOf(Date);

    for (let i = 0; i < 5; i++) expect(await s3.store.head(`h/missing-${i}`)).toBeNull();
    expect(await s3.s3Errors("head")).toBe(0);
  });

  test("list pages through every key under a prefix, in key order", async () => {
    // 7 keys a page (see startTestS3); created out of order, with sub-"directories" in between.
    const keys = Array.from({ length: 40 }, (_, i) => `many/${String(i).padStart(3, "0")}`);
    keys.push("many/010/deeper", "many/020-x", "many/a.txt", "many/a/b");
    const shuffled = [...keys].sort(() => Math.random() - 0.5);
    await Promise.all(shuffled.map((k) => s3.store.put(k, k, { contentType: "text/plain" })));
    await s3.store.put("many-other/x", "x", { contentType: "text/plain" });

    const listed = await s3.store.list("many/");
    expect(listed.map((o) => o.key)).toEqual([...keys].sort());
    expect(listed[7]).toMatchObject({ key: "many/007", size: 8, etag: expect.any(String) });
    // many/010 … many/019 and many/010/deeper
    expect((await s3.store.list("many/01")).length).toBe(11);
    expect(await s3.store.list("nothing-here/")).toEqual([]);
  });

  test("delete removes one object and is idempotent", async () => {
    await s3.store.put("d/one", "1", { contentType: "text/plain" });
    await s3.store.delete("d/one");
    expect(await s3.store.head("d/one")).toBeNull();
    await s3.store.delete("d/one");
  });

  test("deletePrefix removes everything under the prefix and nothing else", async () => {
    for (const k of ["orgs/9/jobs/1/0-ocr.json", "orgs/9/jobs/1/1-ai.json", "orgs/9/jobs/10/x"]) {
      await s3.store.put(k, k, { contentType: "application/json" });
    }
    expect(await s3.store.deletePrefix("orgs/9/jobs/1/")).toBe(2);
    expect(await s3.store.list("orgs/9/jobs/1/")).toEqual([]);
    expect((await s3.store.list("orgs/9/")).map((o) => o.key)).toEqual(["orgs/9/jobs/10/x"]);
    expect(await s3.store.deletePrefix("orgs/9/jobs/1/")).toBe(0);
    expect(await s3.s3Errors("delete")).toBe(0);
  });
});

describe("keys", () => {
  const bad = [
    "",
    "/abs",
    "a/../b",
    "..",
    "a/./b",
    "a//b",
    "a/b/",
    "a\\b",
    "a\u0000b",
    "x".repeat(1025),
  ];

  test.each(bad)("key %p is refused with 400 before any S3 call", async (key) => {
    for (const call of [
      () => s3.store.put(key, "x", { contentType: "text/plain" }),
      () => s3.store.get(key),
      () => s3.store.head(key),
      () => s3.store.delete(key),
      () => s3.store.presignGet(key, { expiresIn: 60 }),
    ]) {
      const error = await call().catch((e) => e);
      expect(error).toBeInstanceOf(AppError);
      expect(error).toMatchObject({ status: 400, code: "invalid_object_key" });
    }
  });

  test("prefixes: an empty or escaping prefix is refused, a trailing slash is fine", async () => {
    await expect(s3.store.deletePrefix("")).rejects.toMatchObject({ status: 400 });
    await expect(s3.store.list("../")).rejects.toMatchObject({ status: 400 });
    await expect(s3.store.list("/orgs/")).rejects.toMatchObject({ status: 400 });
    expect(await s3.store.list("orgs/none/")).toEqual([]);
  });

  test("keys with spaces, unicode and punctuation round-trip", async () => {
    const key = "orgs/1/documents/ä b+c(1)&=;,'!~*/original";
    await s3.store.put(key, "ok", { contentType: "text/plain" });
    expect(new TextDecoder().decode(await s3.store.getBytes(key))).toBe("ok");
    expect((await s3.store.list("orgs/1/documents/ä b+c(1)&=;,'!~*/")).map((o) => o.key)).toEqual([
      key,
    ]);
  });
});
