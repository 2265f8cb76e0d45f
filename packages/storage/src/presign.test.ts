// Presigned downloads against the embedded server: they work, and expired or altered ones don't.

import { afterAll, beforeAll, expect, test } from "bun:test";
import { AppError } from "@crpipeline/errors";
import { sha256, startTestS3, type TestS3, testBytes } from "./storage.test-utils.ts";

let s3: TestS3;
const data = testBytes(200_000, 42);
beforeAll(async () => {
  s3 = await startTestS3();
  await s3.store.put("orgs/1/jobs/2/3-report.pdf", data, { contentType: "application/pdf" });
});
afterAll(async () => {
  await s3.cleanup();
});

const presign = (expiresIn = 60, filename?: string) =>
  s3.store.presignGet("orgs/1/jobs/2/3-report.pdf", { expiresIn, filename });

test("a presigned URL serves the object's bytes without other credentials", async () => {
  const response = await fetch(await presign());
  expect(response.status).toBe(200);
  expect(response.headers.get("content-type")).toBe("application/pdf");
  expect(sha256(new Uint8Array(await response.arrayBuffer()))).toBe(sha256(data));
});

test("a filename makes the download an attachment with that name", async () => {
  const response = await fetch(await presign(60, 'Rapport "final" é.pdf'));
  expect(response.status).toBe(200);
  expect(response.headers.get("content-disposition")).toBe(
    `attachment; filename="Rapport _final_ _.pdf"; filename*=UTF-8''Rapport%20%22final%22%20%C3%A9.pdf`,
  );
  await response.arrayBuffer();
});

test("an expired presigned URL is refused", async () => {
  const url = await presign(1);
  await Bun.sleep(2_100);
  const response = await fetch(url);
  expect(response.status).toBe(403);
  expect(await response.text()).toContain("expired");
});

test("a presigned URL with its signature, key or expiry altered is refused", async () => {
  const url = new URL(await presign());
  const signature = url.searchParams.get("X-Amz-Signature") ?? "";
  const flipped = signature.slice(0, -1) + (signature.endsWith("0") ? "1" : "0");

  const badSignature = new URL(url);
  badSignature.searchParams.set("X-Amz-Signature", flipped);
  const otherKey = new URL(url);
  otherKey.pathname = otherKey.pathname.replace("3-report.pdf", "4-report.pdf");
  const longer = new URL(url);
  longer.searchParams.set("X-Amz-Expires", "604800");
  const unsigned = new URL(url);
  unsigned.search = "";

  for (const tampered of [badSignature, otherKey, longer, unsigned]) {
    const response = await fetch(tampered);
    expect(response.status).toBe(403);
    await response.arrayBuffer();
  }
});

test("a bad expiry is a 400 and is not counted as an S3 error", async () => {
  for (const expiresIn of [0, -5, 1.5, 604_801]) {
    const error = await presign(expiresIn).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AppError);
    expect(error).toMatchObject({ status: 400, code: "invalid_presign_expiry" });
  }
  expect(await s3.s3Errors("presign")).toBe(0);
});
