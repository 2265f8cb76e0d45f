import { expect, test } from "bun:test";
import { AppError } from "@crpipeline/errors";
import { describeEachEngine, seedDocument, seedTenant } from "./db.test-utils.ts";
import { deleteDocument, getDocument, listDocuments } from "./documents.repository.ts";
import { createJob, getJob } from "./jobs.repository.ts";
import type { Page } from "./pagination.ts";
import {
  createPipeline,
  deletePipeline,
  getPipeline,
  listPipelines,
  updatePipeline,
} from "./pipelines.repository.ts";
import { upsertStageOutput } from "./stage-outputs.repository.ts";

const stages = [{ type: "parse", keywords: ["total"] }];

async function statusOf(promise: Promise<unknown>): Promise<number> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AppError);
  return (error as AppError).status;
}

/** Walks every page and returns the items in the order served. */
async function collect<T>(fetch: (cursor: string | null) => Promise<Page<T>>): Promise<T[]> {
  const all: T[] = [];
  let cursor: string | null = null;
  do {
    const page: Page<T> = await fetch(cursor);
    all.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return all;
}

describeEachEngine("pipelines", (current) => {
  test("create, read, update, delete; names are unique per organisation only", async () => {
    const { db } = current();
    const a = await seedTenant(db, "a");
    const b = await seedTenant(db, "b");
    const p = await createPipeline(db, { orgId: a.org.id, name: "invoices", stages });
    expect(p.stages).toEqual(stages);
    expect(p.description).toBe("");
    expect(await statusOf(createPipeline(db, { orgId: a.org.id, name: "invoices", stages }))).toBe(
      409,
    );
    await createPipeline(db, { orgId: b.org.id, name: "invoices", stages });

    const other = await createPipeline(db, { orgId: a.org.id, name: "receipts", stages: [] });
    expect(await statusOf(updatePipeline(db, a.org.id, other.id, { name: "invoices" }))).toBe(409);
    const updated = await updatePipeline(db, a.org.id, p.id, {
      description: "monthly",
      stages: [...stages, { type: "report" }],
    });
    expect(updated).toMatchObject({ name: "invoices", description: "monthly" });
    expect(updated?.stages).toHaveLength(2);
    expect(updated?.updatedAt).toBeGreaterThan(p.updatedAt);

    expect(await getPipeline(db, b.org.id, p.id)).toBeNull();
    expect(await updatePipeline(db, b.org.id, p.id, { name: "stolen" })).toBeNull();
    expect(await deletePipeline(db, b.org.id, p.id)).toBe(false);
    expect(await deletePipeline(db, a.org.id, p.id)).toBe(true);
    expect(await getPipeline(db, a.org.id, p.id)).toBeNull();
  });

  test("deleting a pipeline keeps its jobs with their snapshot", async () => {
    const { db } = current();
    const { org } = await seedTenant(db);
    const doc = await seedDocument(db, org.id);
    const p = await createPipeline(db, { orgId: org.id, name: "snap", stages });
    const job = await createJob(db, {
      orgId: org.id,
      documentId: doc.id,
      pipelineId: p.id,
      pipelineName: p.name,
      stages: p.stages,
      maxAttempts: 3,
    });
    await deletePipeline(db, org.id, p.id);
    const kept = await getJob(db, org.id, job.id);
    expect(kept).toMatchObject({ pipelineId: null, pipelineName: "snap", stages });
  });

  test("list sorts by name both ways and pages with a cursor", async () => {
    const { db } = current();
    const { org } = await seedTenant(db);
    const names = ["delta", "Alpha", "charlie", "bravo", "echo"];
    for (const name of names) await createPipeline(db, { orgId: org.id, name, stages });
    const asc = await collect((cursor) =>
      listPipelines(db, org.id, { sort: "name", order: "asc", limit: 2, cursor }),
    );
    // Byte order on both engines: upper case before lower case.
    expect(asc.map((p) => p.name)).toEqual(["Alpha", "bravo", "charlie", "delta", "echo"]);
    const desc = await collect((cursor) =>
      listPipelines(db, org.id, { sort: "name", order: "desc", limit: 3, cursor }),
    );
    expect(desc.map((p) => p.name)).toEqual(["echo", "delta", "charlie", "bravo", "Alpha"]);
    const first = await listPipelines(db, org.id, { limit: 2 });
    expect(first.total).toBe(5);
    expect(first.items).toHaveLength(2);
  });
});

describeEachEngine("documents", (current) => {
  test("pagination by created time, name and size, both orders, with totals", async () => {
    const { db } = current();
    const { org } = await seedTenant(db);
    const specs: [string, number][] = [
      ["b.pdf", 300],
      ["a.pdf", 100],
      ["e.pdf", 100],
      ["c.pdf", 500],
      ["d.pdf", 200],
    ];
    const created = [];
    for (const [name, size] of specs) created.push(await seedDocument(db, org.id, name, size));
    const other = await seedTenant(db, "other");
    await seedDocument(db, other.org.id, "foreign.pdf", 1);

    const newest = await collect((cursor) => listDocuments(db, org.id, { limit: 2, cursor }));
    expect(newest.map((d) => d.id)).toEqual(created.map((d) => d.id).reverse());

    const byName = await collect((cursor) =>
      listDocuments(db, org.id, { sort: "name", order: "asc", limit: 2, cursor }),
    );
    expect(byName.map((d) => d.name)).toEqual(["a.pdf", "b.pdf", "c.pdf", "d.pdf", "e.pdf"]);

    // Equal sizes (a and e) are split by id, so the page boundary between them is exact.
    const bySize = await collect((cursor) =>
      listDocuments(db, org.id, { sort: "size", order: "desc", limit: 1, cursor }),
    );
    expect(bySize.map((d) => d.size)).toEqual([500, 300, 200, 100, 100]);
    expect(new Set(bySize.map((d) => d.id)).size).toBe(5);

    const page = await listDocuments(db, org.id, { limit: 100 });
    expect(page.total).toBe(5);
    expect(page.nextCursor).toBeNull();
    const filtered = await listDocuments(db, org.id, { nameContains: "C." });
    expect((await listDocuments(db, org.id, { nameContains: "%" })).total).toBe(0);
    expect(filtered.items.map((d) => d.name)).toEqual(["c.pdf"]);
    expect(filtered.total).toBe(1);
  });

  test("bad page requests are 400s", async () => {
    const { db } = current();
    const { org } = await seedTenant(db);
    expect(await statusOf(listDocuments(db, org.id, { limit: 101 }))).toBe(400);
    expect(await statusOf(listDocuments(db, org.id, { limit: 0 }))).toBe(400);
    expect(await statusOf(listDocuments(db, org.id, { cursor: "not-a-cursor" }))).toBe(400);
    const sort = "storage_key" as "name";
    expect(await statusOf(listDocuments(db, org.id, { sort }))).toBe(400);
  });

  test("another organisation's document is invisible and cannot be deleted", async () => {
    const { db } = current();
    const a = await seedTenant(db, "a");
    const b = await seedTenant(db, "b");
    const doc = await seedDocument(db, b.org.id);
    expect(await getDocument(db, a.org.id, doc.id)).toBeNull();
    expect(await deleteDocument(db, a.org.id, doc.id)).toBeNull();
    expect(await getDocument(db, b.org.id, doc.id)).toEqual(doc);
  });

  test("delete removes jobs and outputs and returns every storage key", async () => {
    const { db } = current();
    const { org } = await seedTenant(db);
    const doc = await seedDocument(db, org.id);
    const job = await createJob(db, {
      orgId: org.id,
      documentId: doc.id,
      pipelineId: null,
      pipelineName: "adhoc",
      stages,
      maxAttempts: 3,
    });
    const output = await upsertStageOutput(db, {
      jobId: job.id,
      orgId: org.id,
      index: 0,
      stage: "parse",
      name: "json",
      storageKey: `orgs/${org.id}/jobs/${job.id}/0-parse.json`,
      contentType: "application/json",
      size: 2,
    });
    const deleted = await deleteDocument(db, org.id, doc.id);
    expect(deleted?.document.id).toBe(doc.id);
    expect(deleted?.storageKeys).toEqual([doc.storageKey, output.storageKey]);
    expect(await getJob(db, org.id, job.id)).toBeNull();
  });
});
