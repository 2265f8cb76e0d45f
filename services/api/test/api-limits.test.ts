/**
 * The per-caller API limit over HTTP: every answer to an authenticated request carries the
 * caller's RateLimit-* headers (writes, downloads and errors too), and the call past the
 * limit gets 429 with Retry-After, for that caller alone.
 */

import { expect, test } from "bun:test";
import { DEFAULT_POLICIES } from "@crpipeline/ratelimit";
import { waitForRoomInWindow } from "@crpipeline/testing";
import { describeEachApi, type Reply, unique } from "./api.test-utils.ts";

const API_LIMIT = DEFAULT_POLICIES.api.limit;

const remaining = (reply: { headers: Headers }) =>
  Number(reply.headers.get("ratelimit-remaining") ?? Number.NaN);

describeEachApi("the per-caller API limit", (api) => {
  test("every authenticated answer carries the caller's RateLimit-* headers", async () => {
    const tenant = await api().createTenant("limit-headers");
    const token = tenant.admin.token;
    const replies: [string, Reply | Response][] = [];

    const created = await api().call<{ pipeline: { id: string } }>(
      "POST",
      "/api/pipelines",
      token,
      { name: unique("limits"), stages: [{ type: "parse", keywords: ["total"] }] },
    );
    replies.push(["POST /api/pipelines 201", created]);
    const uploaded = await api().upload(token, { name: "limits.txt", bytes: "Total: 1" });
    replies.push(["POST /api/documents 201", uploaded]);
    const { document } = (await uploaded.json()) as { document: { id: string } };
    const content = await api().fetch(`/api/documents/${document.id}/content`, { auth: token });
    replies.push(["GET /api/documents/:id/content 200", content]);
    replies.push([
      "GET /api/jobs/:id 404",
      await api().call("GET", `/api/jobs/${crypto.randomUUID()}`, token),
    ]);
    replies.push([
      "POST /api/orgs 403",
      await api().call("POST", "/api/orgs", tenant.user.token, { name: unique("nope") }),
    ]);
    replies.push([
      "PUT /api/settings 200",
      await api().call("PUT", "/api/settings", token, { promptTemplates: {} }),
    ]);
    replies.push([
      "DELETE /api/pipelines/:id 204",
      await api().call("DELETE", `/api/pipelines/${created.body.pipeline.id}`, token),
    ]);

    const seen = replies.map(([what, reply]) => [
      what,
      reply.status,
      reply.headers.get("ratelimit-limit"),
    ]);
    expect(seen).toEqual(
      replies.map(([what]) => [what, Number(what.split(" ").at(-1)), String(API_LIMIT)]),
    );
    // One caller's budget, spent one call at a time (the 403 was the other user's).
    const admins = replies.filter(([what]) => !what.includes("403")).map(([, r]) => remaining(r));
    expect(admins).toEqual(admins.map((_, i) => (admins[0] ?? 0) - i));
    // Unauthenticated answers have none: there is no caller to count.
    const anonymous = await api().call("GET", "/api/documents");
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get("ratelimit-limit")).toBeNull();
  });

  test("the call past the limit gets 429 with Retry-After; another key is unaffected", async () => {
    const tenant = await api().createTenant("limit-429");
    const key = await api().createApiKey(tenant.admin.token, "busy script");
    const other = await api().createApiKey(tenant.admin.token, "quiet script");
    // The whole burst must fall inside one window of the sliding limiter.
    await waitForRoomInWindow(DEFAULT_POLICIES.api.windowMs, 30_000);

    const statuses: number[] = [];
    for (let sent = 0; sent < API_LIMIT; sent += 50) {
      const batch = await Promise.all(
        Array.from({ length: Math.min(50, API_LIMIT - sent) }, () =>
          api().fetch("/api/usage", { auth: { apiKey: key.key } }),
        ),
      );
      for (const reply of batch) {
        statuses.push(reply.status);
        await reply.arrayBuffer();
      }
    }
    expect(statuses.filter((status) => status !== 200)).toEqual([]);

    const limited = await api().call("GET", "/api/usage", { apiKey: key.key });
    expect(limited.status).toBe(429);
    expect(limited.body).toMatchObject({ error: { code: "rate_limited" } });
    const retryAfter = Number(limited.headers.get("retry-after"));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(limited.headers.get("ratelimit-limit")).toBe(String(API_LIMIT));
    expect(limited.headers.get("ratelimit-remaining")).toBe("0");

    const unaffected = await api().call("GET", "/api/usage", { apiKey: other.key });
    expect(unaffected.status).toBe(200);
    expect(remaining(unaffected)).toBe(API_LIMIT - 1);
  }, 120_000);
});
