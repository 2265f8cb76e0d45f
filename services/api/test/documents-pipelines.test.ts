/** Happy paths of the pipeline and document routes: CRUD, uploads, paging, downloads, deletion. */

import { beforeAll, expect, test } from "bun:test";
import { upsertStageOutput } from "@crpipeline/db";
import { describeEachApi, type Tenant } from "./api.test-utils.ts";
import { OCR_PIPELINE, tinyPdf, tinyPng } from "./fixtures.test-utils.ts";

interface DocumentBody {
  id: string;
  name: string;
  contentType: string;
  size: number;
  sha256: string;
}

describeEachApi("pipeline and document routes", (api) => {
  let tenant: Tenant;
  beforeAll(async () => {
    tenant = await api().createTenant("docs");
  });

  test("pipelines: create, list, get, replace, delete", async () => {
    const admin = tenant.admin.token;
    const created = await api().call<{ pipeline: Record<string, unknown> }>(
      "POST",
      "/api/pipelines",
      admin,
      OCR_PIPELINE,
    );
    expect(created.status).toBe(201);
    expect(created.body.pipeline).toMatchObject({
      name: OCR_PIPELINE.name,
      description: OCR_PIPELINE.description,
      orgId: tenant.org.id,
    });
    // Defaults of the stage schema are filled in on write.
    expect(created.body.pipeline.stages).toEqual([
      { type: "ocr", engine: "tesseract.js", languages: ["eng"], dpi: 200 },
      { type: "parse", keywords: ["total"] },
    ]);
    const id = created.body.pipeline.id as string;

    const list = await api().call<{ items: { id: string }[]; total: number }>(
      "GET",
      "/api/pipelines?sort=name&order=asc",
      tenant.user.token,
    );
    expect(list.status).toBe(200);
    expect(list.body.items.map((p) => p.id)).toContain(id);

    const got = await api().call<{ pipeline: { id: string } }>(
      "GET",
      `/api/pipelines/${id}`,
      tenant.user.token,
    );
    expect(got.status).toBe(200);
    expect(got.body.pipeline.id).toBe(id);

    const replaced = await api().call<{ pipeline: Record<string, unknown> }>(
      "PUT",
      `/api/pipelines/${id}`,
      admin,
      { name: "report only", stages: [{ type: "report", title: "Summary" }] },
    );
    expect(replaced.status).toBe(200);
    expect(replaced.body.pipeline).toMatchObject({
      id,
      name: "report only",
      description: "",
      stages: [{ type: "report", title: "Summary" }],
    });

    const deleted = await api().fetch(`/api/pipelines/${id}`, { method: "DELETE", auth: admin });
    expect(deleted.status).toBe(204);
    const gone = await api().call("GET", `/api/pipelines/${id}`, admin);
    expect(gone.status).toBe(404);
    expect(gone.body).toEqual({ error: { code: "not_found", message: expect.any(String) } });
  });

  test("names are unique per organisation: 409 when taken, free in another", async () => {
    const name = `unique-${crypto.randomUUID().slice(0, 8)}`;
    const create = (token: string, pipelineName: string) =>
      api().call<{ pipeline: { id: string }; error: { code: string; message: string } }>(
        "POST",
        "/api/pipelines",
        token,
        { ...OCR_PIPELINE, name: pipelineName },
      );
    const first = await create(tenant.admin.token, name);
    expect(first.status).toBe(201);
    const again = await create(tenant.admin.token, name);
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe("conflict");
    expect(again.body.error.message).toContain("name");

    // Renaming another pipeline onto the taken name is refused the same way.
    const other = await create(tenant.admin.token, `${name}-other`);
    const renamed = await api().call<{ error: { code: string } }>(
      "PUT",
      `/api/pipelines/${other.body.pipeline.id}`,
      tenant.admin.token,
      { ...OCR_PIPELINE, name },
    );
    expect(renamed.status).toBe(409);

    const elsewhere = await api().createTenant("docs-elsewhere");
    expect((await create(elsewhere.admin.token, name)).status).toBe(201);
    const listed = await api().call<{ items: { name: string }[] }>(
      "GET",
      "/api/pipelines?limit=100",
      tenant.admin.token,
    );
    expect(listed.body.items.filter((p) => p.name === name)).toHaveLength(1);
  });

  test("a pipeline with a bad stage is refused with the stage's path", async () => {
    const reply = await api().call<{ error: { message: string } }>(
      "POST",
      "/api/pipelines",
      tenant.admin.token,
      { name: "bad", stages: [{ type: "ocr" }, { type: "ocr", engine: "cuneiform" }] },
    );
    expect(reply.status).toBe(400);
    expect(reply.body.error.message).toContain("stages[1].engine");
  });

  test("upload without pipelineId: 201 { document } and no job", async () => {
    const png = tinyPng();
    const response = await api().upload(tenant.user.token, { name: "scan.png", bytes: png });
    expect(response.status).toBe(201);
    const body = (await response.json()) as { document: DocumentBody; job?: unknown };
    expect(body.job).toBeUndefined();
    expect(body.document).toMatchObject({
      name: "scan.png",
      contentType: "image/png",
      size: png.length,
      sha256: new Bun.CryptoHasher("sha256").update(png).digest("hex"),
      uploadedBy: tenant.user.user.id,
    });
    expect(JSON.stringify(body)).not.toContain("orgs/");
    const key = `orgs/${tenant.org.id}/documents/${body.document.id}/original`;
    expect(await api().runtime.store.head(key)).toMatchObject({ size: png.length });
  });

  test("upload with pipelineId: 201 { document, job } with the job queued", async () => {
    const pipeline = await api().createPipeline(tenant.admin.token);
    const response = await api().upload(
      tenant.user.token,
      { name: "invoice.pdf", bytes: tinyPdf() },
      { pipelineId: pipeline.id },
    );
    expect(response.status).toBe(201);
    const body = (await response.json()) as {
      document: DocumentBody;
      job: Record<string, unknown>;
    };
    expect(body.document.contentType).toBe("application/pdf");
    expect(body.job).toMatchObject({
      documentId: body.document.id,
      pipelineId: pipeline.id,
      pipelineName: pipeline.name,
      status: "queued",
    });
  });

  test("list: limit and cursor walk every document once; sort and order apply", async () => {
    const paging = await api().createTenant("paging");
    const names = ["delta.txt", "alpha.txt", "echo.md", "charlie.txt", "bravo.txt"];
    for (const [i, name] of names.entries()) {
      const reply = await api().upload(paging.user.token, { name, bytes: "x".repeat(i + 1) });
      expect(reply.status).toBe(201);
    }

    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: string = `?limit=2&sort=name&order=asc${cursor ? `&cursor=${cursor}` : ""}`;
      const page = await api().call<{ items: DocumentBody[]; nextCursor: string | null }>(
        "GET",
        `/api/documents${query}`,
        paging.user.token,
      );
      expect(page.status).toBe(200);
      expect(page.body.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.body.items.map((d) => d.name));
      cursor = page.body.nextCursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen).toEqual([...names].sort());

    const bySize = await api().call<{ items: DocumentBody[]; total: number }>(
      "GET",
      "/api/documents?sort=size&order=desc",
      paging.user.token,
    );
    expect(bySize.body.total).toBe(5);
    expect(bySize.body.items.map((d) => d.size)).toEqual([5, 4, 3, 2, 1]);
    const md = bySize.body.items.find((d) => d.name === "echo.md");
    expect(md?.contentType).toBe("text/markdown");

    const filtered = await api().call<{ items: DocumentBody[]; total: number }>(
      "GET",
      "/api/documents?nameContains=rav",
      paging.user.token,
    );
    expect(filtered.body.items.map((d) => d.name)).toEqual(["bravo.txt"]);
  });

  test("get and content: the metadata, then the very bytes that were uploaded", async () => {
    const bytes = new Uint8Array(300_000);
    bytes.set(tinyPng());
    for (let i = 64; i < bytes.length; i++) bytes[i] = (i * 7919) % 251;
    const upload = await api().upload(tenant.user.token, { name: "big scan.png", bytes });
    expect(upload.status).toBe(201);
    const { document } = (await upload.json()) as { document: DocumentBody };

    const got = await api().call<{ document: DocumentBody }>(
      "GET",
      `/api/documents/${document.id}`,
      tenant.user.token,
    );
    expect(got.status).toBe(200);
    expect(got.body.document).toEqual(document);

    const content = await api().fetch(`/api/documents/${document.id}/content`, {
      auth: tenant.user.token,
    });
    expect(content.status).toBe(200);
    expect(content.headers.get("content-type")).toBe("image/png");
    expect(content.headers.get("content-disposition")).toContain("attachment");
    expect(content.headers.get("content-disposition")).toContain("big scan.png");
    expect(content.headers.get("x-content-type-options")).toBe("nosniff");
    const received = new Uint8Array(await content.arrayBuffer());
    expect(received.length).toBe(bytes.length);
    expect(Buffer.compare(received, bytes)).toBe(0);
  });

  test("delete: rows and objects (the original and job outputs) are gone", async () => {
    const pipeline = await api().createPipeline(tenant.admin.token);
    const upload = await api().upload(
      tenant.user.token,
      { name: "to-delete.txt", bytes: "short lived" },
      { pipelineId: pipeline.id },
    );
    const { document, job } = (await upload.json()) as {
      document: DocumentBody;
      job: { id: string };
    };
    const original = `orgs/${tenant.org.id}/documents/${document.id}/original`;
    const outputKey = `orgs/${tenant.org.id}/jobs/${job.id}/0-ocr.json`;
    await api().runtime.store.put(outputKey, '{"text":"x"}', { contentType: "application/json" });
    await upsertStageOutput(api().runtime.db, {
      jobId: job.id,
      orgId: tenant.org.id,
      index: 0,
      stage: "ocr",
      name: "json",
      storageKey: outputKey,
      contentType: "application/json",
      size: 12,
    });
    const before = await api().call<{ total: number }>("GET", "/api/documents", tenant.user.token);

    const deleted = await api().fetch(`/api/documents/${document.id}`, {
      method: "DELETE",
      auth: tenant.user.token,
    });
    expect(deleted.status).toBe(204);

    expect(await api().runtime.store.head(original)).toBeNull();
    expect(await api().runtime.store.head(outputKey)).toBeNull();
    const get = await api().call("GET", `/api/documents/${document.id}`, tenant.user.token);
    expect(get.status).toBe(404);
    const jobAfter = await api().call("GET", `/api/jobs/${job.id}`, tenant.user.token);
    expect(jobAfter.status).toBe(404);
    const after = await api().call<{ total: number }>("GET", "/api/documents", tenant.user.token);
    expect(after.body.total).toBe(before.body.total - 1);
  });
});
