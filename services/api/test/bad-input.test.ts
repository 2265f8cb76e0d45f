/** The bad-input table: each case answers its status and writes nothing (rows, objects, usage). */

import { beforeAll, expect, test } from "bun:test";
import { describeEachApi, type Reply, type Tenant } from "./api.test-utils.ts";
import { tinyPng, zipLikeBinary } from "./fixtures.test-utils.ts";

const LIMIT = 64 * 1024;

describeEachApi(
  "bad input",
  (api) => {
    let tenant: Tenant;
    beforeAll(async () => {
      tenant = await api().createTenant("bad");
    });

    /** Everything a bad request could have written for the tenant. */
    const written = async () => {
      const token = tenant.admin.token;
      const documents = await api().call<{ total: number }>("GET", "/api/documents", token);
      const pipelines = await api().call<{ total: number }>("GET", "/api/pipelines", token);
      const jobs = await api().call<{ total: number }>("GET", "/api/jobs", token);
      const usage = await api().call("GET", "/api/usage", token);
      const objects = await api().runtime.store.list(`orgs/${tenant.org.id}/`);
      return {
        documents: documents.body.total,
        pipelines: pipelines.body.total,
        jobs: jobs.body.total,
        usage: usage.body,
        objects: objects.map((o) => o.key),
      };
    };

    const expectError = async (reply: Reply | Response, status: number, code?: string) => {
      const { status: got, body } =
        reply instanceof Response
          ? { status: reply.status, body: (await reply.json()) as Record<string, unknown> }
          : reply;
      if (got !== status)
        throw new Error(`expected ${status}, got ${got}: ${JSON.stringify(body)}`);
      expect(Object.keys(body)).toEqual(["error"]);
      // Plain checks: bun's toMatchObject writes its asymmetric matchers into the received object.
      const error = body.error as { code: string; message: string };
      expect(typeof error.code).toBe("string");
      expect(typeof error.message).toBe("string");
      if (code) expect(error.code).toBe(code);
      return error;
    };

    /** Runs `attempt`, checks its answer, and proves that nothing was written. */
    const refusedCleanly = async (
      attempt: () => Promise<Reply | Response>,
      status: number,
      code?: string,
    ) => {
      const before = await written();
      const error = await expectError(await attempt(), status, code);
      expect(await written()).toEqual(before);
      return error;
    };

    const post = (path: string, body: unknown) => () =>
      api().call("POST", path, tenant.admin.token, body);

    test("malformed JSON → 400", async () => {
      for (const path of ["/api/pipelines", "/api/jobs", "/api/api-keys"]) {
        await refusedCleanly(post(path, "{not json"), 400);
      }
      await refusedCleanly(
        () => api().call("PUT", "/api/settings", tenant.admin.token, '{"promptTemplates": '),
        400,
      );
    });

    test("missing fields → 400 naming the field", async () => {
      const job = await refusedCleanly(post("/api/jobs", { documentId: "x" }), 400);
      expect(job.message).toContain("pipelineId");
      const user = await refusedCleanly(post("/api/users", { email: "a@b.test" }), 400);
      expect(user.message).toContain("password");
      const pipeline = await refusedCleanly(post("/api/pipelines", { name: "no stages" }), 400);
      expect(pipeline.message).toContain("stages");
      const key = await refusedCleanly(post("/api/api-keys", {}), 400);
      expect(key.message).toContain("name");
    });

    test("wrong types → 400", async () => {
      const job = await refusedCleanly(post("/api/jobs", { documentId: 5, pipelineId: true }), 400);
      expect(job.message).toContain("documentId");
      await refusedCleanly(post("/api/pipelines", { name: "x", stages: "ocr" }), 400);
      await refusedCleanly(post("/api/api-keys", { name: ["a"] }), 400);
      await refusedCleanly(
        () =>
          api().call("PATCH", `/api/users/${tenant.user.user.id}`, tenant.admin.token, {
            active: "yes",
          }),
        400,
      );
      const me = await api().call("GET", "/api/auth/me", tenant.user.token);
      expect(me.body).toMatchObject({ user: { active: true } });
    });

    test("zero-byte file → 400", async () => {
      await refusedCleanly(
        () => api().upload(tenant.user.token, { name: "empty.txt", bytes: "" }),
        400,
      );
    });

    test("a file just over the limit → 413 while streaming", async () => {
      const bytes = new Uint8Array(LIMIT + 1).fill(0x61);
      await refusedCleanly(
        () => api().upload(tenant.user.token, { name: "edge.txt", bytes }),
        413,
        "too_large",
      );
    });

    test("a 1 MiB file over a 64 KiB limit → 413, and the server stays healthy", async () => {
      const bytes = new Uint8Array(1024 * 1024).fill(0x62);
      await refusedCleanly(
        () => api().upload(tenant.user.token, { name: "big.txt", bytes }),
        413,
        "too_large",
      );
      expect((await api().call("GET", "/healthz")).status).toBe(200);
      const small = await api().upload(tenant.user.token, { name: "small.txt", bytes: "fits" });
      expect(small.status).toBe(201);
    });

    test("a text file named .pdf → 415; an unsupported binary → 415", async () => {
      await refusedCleanly(
        () =>
          api().upload(tenant.user.token, { name: "report.pdf", bytes: "just text, not a PDF" }),
        415,
        "type_mismatch",
      );
      await refusedCleanly(
        () => api().upload(tenant.user.token, { name: "archive.zip", bytes: zipLikeBinary() }),
        415,
        "unsupported_type",
      );
      // A real PNG called .jpg is refused too: the name promises another type.
      await refusedCleanly(
        () => api().upload(tenant.user.token, { name: "photo.jpg", bytes: tinyPng() }),
        415,
      );
    });

    test("a filename with path parts is reduced to its last part", async () => {
      const reply = await api().upload(tenant.user.token, {
        name: "../../etc/passwd.txt",
        bytes: "root:x:0:0",
      });
      expect(reply.status).toBe(201);
      const { document } = (await reply.json()) as { document: { id: string; name: string } };
      expect(document.name).toBe("passwd.txt");
      const keys = (await api().runtime.store.list(`orgs/${tenant.org.id}/`)).map((o) => o.key);
      expect(keys).toContain(`orgs/${tenant.org.id}/documents/${document.id}/original`);
      expect(keys.every((key) => !key.includes(".."))).toBe(true);
    });

    test("an unknown pipelineId on upload → 404, no row, no object, no usage", async () => {
      await refusedCleanly(
        () =>
          api().upload(
            tenant.user.token,
            { name: "orphan.txt", bytes: "nobody runs me" },
            { pipelineId: "00000000-0000-0000-0000-000000000000" },
          ),
        404,
        "not_found",
      );
    });

    test("a huge JSON body → 413, the server stays healthy", async () => {
      const huge = JSON.stringify({
        name: "x",
        stages: [{ type: "report", title: "x".repeat(2 * 1024 * 1024) }],
      });
      const reply = await api()
        .call("POST", "/api/pipelines", tenant.admin.token, huge)
        .catch((error: Error) => ({
          status: -1,
          headers: new Headers(),
          body: { error: String(error) },
        }));
      // The API's own 1 MiB cap on non-multipart bodies answers before the body is read.
      expect(reply.status).toBe(413);
      expect(reply.body).toMatchObject({ error: { code: "too_large" } });
      expect((await api().call("GET", "/healthz")).status).toBe(200);
      const pipelines = await api().call<{ total: number }>(
        "GET",
        "/api/pipelines",
        tenant.admin.token,
      );
      expect(pipelines.body.total).toBe(0);
    });

    test("a bad cursor → 400; limit over 100 → 400; unknown sort → 400", async () => {
      for (const query of [
        "cursor=not-a-cursor",
        "limit=101",
        "limit=0",
        "limit=abc",
        "sort=sha256",
      ]) {
        const reply = await api().call("GET", `/api/documents?${query}`, tenant.user.token);
        await expectError(reply, 400);
      }
      const forged = Buffer.from(JSON.stringify({ evil: true })).toString("base64url");
      await expectError(
        await api().call("GET", `/api/jobs?cursor=${forged}`, tenant.user.token),
        400,
      );
    });
  },
  { MAX_UPLOAD_BYTES: String(LIMIT) },
);
