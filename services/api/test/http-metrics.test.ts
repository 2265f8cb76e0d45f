/** Every request is counted once in `http_requests_total`, with the status the client got. */

import { expect, test } from "bun:test";
import { sampleValue } from "@crpipeline/telemetry";
import { waitFor } from "@crpipeline/testing";
import { createApp } from "../src/app.ts";
import { buildApiDeps } from "../src/server.ts";
import { describeEachApi, type TestApi } from "./api.test-utils.ts";

type Labels = Record<string, string>;

/** The counter once it reached `expected`, re-read a moment later so a second count shows. */
async function settledCount(api: TestApi, labels: Labels, expected: number): Promise<number> {
  const count = async () => sampleValue(await api.scrape(), "http_requests_total", labels);
  await waitFor(async () => (await count()) >= expected, { what: JSON.stringify(labels) });
  await Bun.sleep(200);
  return count();
}

describeEachApi("HTTP request metrics", (api) => {
  const count = async (labels: Labels) =>
    sampleValue(await api().scrape(), "http_requests_total", labels);

  test("a JSON body over the limit: 413 counted once, under its route", async () => {
    const tenant = await api().createTenant("metrics-413");
    const route = { method: "POST", route: "/api/pipelines" };
    const before = { refused: await count({ ...route, status: "413" }), all: await count(route) };
    const unmatched = await count({ route: "unmatched" });

    const huge = JSON.stringify({
      name: "x",
      stages: [{ type: "report", title: "x".repeat(2e6) }],
    });
    const reply = await api()
      .call("POST", "/api/pipelines", tenant.admin.token, huge)
      .catch(() => ({ status: -1 }));
    expect(reply.status).toBe(413);

    expect(await settledCount(api(), { ...route, status: "413" }, before.refused + 1)).toBe(
      before.refused + 1,
    );
    expect(await count(route)).toBe(before.all + 1);
    expect(await count({ route: "unmatched" })).toBe(unmatched);
  });

  test("a handler that returns a Response is counted with that response's status", async () => {
    const deps = await buildApiDeps(api().runtime);
    const app = createApp(deps).get(
      "/api/probe/teapot",
      () => new Response("short and stout", { status: 418 }),
    );
    app.listen({ hostname: "127.0.0.1", port: 0 });
    try {
      const route = { method: "GET", route: "/api/probe/teapot" };
      const reply = await fetch(`http://127.0.0.1:${app.server?.port}/api/probe/teapot`);
      expect(reply.status).toBe(418);
      expect(await settledCount(api(), { ...route, status: "418" }, 1)).toBe(1);
      expect(await count({ ...route, status: "200" })).toBe(0);
    } finally {
      await app.stop();
      deps.events.stop();
      deps.limiter.close();
    }
  });
});
