/**
 * Login failures and rate limits as metrics and headers; HTTP metrics by template; upload quota.
 */

import { expect, test } from "bun:test";
import { parseSamples, sampleValue } from "@crpipeline/telemetry";
import { waitFor, waitForRoomInWindow } from "@crpipeline/testing";
import { describeEachApi, loopbackAddress, PASSWORD, unique } from "./api.test-utils.ts";

describeEachApi("login failures, rate limits, HTTP metrics and quotas", (api) => {
  const failures = async (reason: string) =>
    sampleValue(await api().scrape(), "login_failures_total", { reason });

  const credentials = (email: string, password: string) => JSON.stringify({ email, password });

  test("each failed login counts once under its reason", async () => {
    const tenant = await api().createTenant("failing");
    const cases: [string, string, number, string][] = [
      ["unknown_user", credentials("nobody@failing.test", PASSWORD), 401, "invalid_credentials"],
      [
        "bad_password",
        credentials(tenant.user.user.email, "wrong-password"),
        401,
        "invalid_credentials",
      ],
      ["invalid_request", "{not json", 400, "malformed_body"],
      [
        "invalid_request",
        JSON.stringify({ email: "no-password@x.test" }),
        400,
        "validation_failed",
      ],
    ];
    for (const [reason, body, status, code] of cases) {
      const before = await failures(reason);
      const reply = await api().loginRaw(body);
      expect(reply.status).toBe(status);
      expect(reply.body).toMatchObject({ error: { code } });
      expect(await failures(reason)).toBe(before + 1);
    }

    // Unknown user and bad password answer alike, so accounts cannot be probed.
    const unknown = await api().loginRaw(credentials("ghost@failing.test", PASSWORD));
    const wrong = await api().loginRaw(credentials(tenant.user.user.email, "wrong-password"));
    expect(unknown.body).toEqual(wrong.body);

    const before = await failures("inactive");
    await api().call("PATCH", `/api/users/${tenant.user.user.id}`, tenant.admin.token, {
      active: false,
    });
    const inactive = await api().loginRaw(credentials(tenant.user.user.email, PASSWORD));
    expect(inactive.status).toBe(401);
    expect(await failures("inactive")).toBe(before + 1);
  });

  test("the per-account limit: the 6th attempt in 5 minutes → 429 with Retry-After", async () => {
    const email = `${unique("target")}@limits.test`;
    await api().createUser(api().admin.token, { email });
    const before = await failures("rate_limited");
    // A new address each time: only the account limit (5 per 5 minutes) can trip.
    await waitForRoomInWindow(5 * 60_000, 20_000);
    for (let attempt = 1; attempt <= 5; attempt++) {
      const reply = await api().loginRaw(credentials(email, "wrong-password"));
      expect(reply.status).toBe(401);
    }
    const limited = await api().loginRaw(credentials(email, PASSWORD));
    expect(limited.status).toBe(429);
    expect(limited.body).toMatchObject({ error: { code: "rate_limited" } });
    const retryAfter = Number(limited.headers.get("retry-after"));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(300);
    expect(limited.headers.get("ratelimit-limit")).toBe("5");
    expect(limited.headers.get("ratelimit-remaining")).toBe("0");
    expect(Number(limited.headers.get("ratelimit-reset"))).toBeGreaterThan(0);
    expect(await failures("rate_limited")).toBe(before + 1);
    // The right password does not get through either while limited.
    expect(limited.body).not.toHaveProperty("token");
  }, 60_000);

  test("the per-address limit: the 11th attempt in a minute from one address → 429", async () => {
    const from = loopbackAddress();
    await waitForRoomInWindow(60_000, 20_000);
    for (let attempt = 1; attempt <= 10; attempt++) {
      const reply = await api().loginRaw(credentials(`${unique("scan")}@limits.test`, "x"), from);
      expect(reply.status).toBe(401);
    }
    const limited = await api().loginRaw(credentials(`${unique("scan")}@limits.test`, "x"), from);
    expect(limited.status).toBe(429);
    expect(limited.headers.get("ratelimit-limit")).toBe("10");
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    // Another address is unaffected.
    const elsewhere = await api().loginRaw(credentials(`${unique("scan")}@limits.test`, "x"));
    expect(elsewhere.status).toBe(401);
  }, 60_000);

  test("HTTP metrics use the route template, never a raw id", async () => {
    const tenant = await api().createTenant("metrics");
    const pipeline = await api().createPipeline(tenant.admin.token);
    const upload = await api().upload(
      tenant.user.token,
      { name: "m.txt", bytes: "metrics" },
      { pipelineId: pipeline.id },
    );
    const { job } = (await upload.json()) as { job: { id: string } };
    const template = { method: "GET", route: "/api/jobs/:id" };
    const before = sampleValue(await api().scrape(), "http_requests_total", {
      ...template,
      status: "200",
    });
    await api().call("GET", `/api/jobs/${job.id}`, tenant.user.token);
    await api().call("GET", `/api/jobs/${crypto.randomUUID()}`, tenant.user.token);
    await api().call("GET", `/no/such/route/${job.id}`);

    // Recorded after the response went out: wait until the last request shows up.
    const text = await waitFor(
      async () => {
        const scraped = await api().scrape();
        const unmatched = sampleValue(scraped, "http_requests_total", { route: "unmatched" });
        return unmatched > 0 ? scraped : null;
      },
      { what: "the unmatched request in the metrics" },
    );
    expect(sampleValue(text, "http_requests_total", { ...template, status: "200" })).toBe(
      before + 1,
    );
    expect(sampleValue(text, "http_requests_total", { ...template, status: "404" })).toBe(1);
    expect(
      sampleValue(text, "http_request_duration_seconds_count", {
        method: "GET",
        route: template.route,
      }),
    ).toBeGreaterThanOrEqual(2);
    const routes = parseSamples(text)
      .filter((s) => s.name.startsWith("http_request"))
      .map((s) => s.labels.route ?? "");
    expect(routes).toContain("unmatched");
    for (const route of routes) {
      expect(route).not.toContain(job.id);
      expect(route).not.toMatch(/[0-9a-f]{8}-[0-9a-f]{4}-/);
    }
  });

  test("an organisation over its monthly upload quota gets 429 and nothing is written", async () => {
    const org = await api().createOrg(unique("Quota"), { monthlyUploadQuota: 2 });
    const email = `${unique("quota")}@quota.test`;
    await api().createUser(api().admin.token, { email, orgId: org.id });
    const { token } = await api().login(email, PASSWORD);
    for (const name of ["one.txt", "two.txt"]) {
      expect((await api().upload(token, { name, bytes: name })).status).toBe(201);
    }

    const third = await api().upload(token, { name: "three.txt", bytes: "over quota" });
    expect(third.status).toBe(429);
    const body = (await third.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe("quota_exceeded");
    expect(body.error.message).toContain("quota of 2");

    const documents = await api().call<{ total: number }>("GET", "/api/documents", token);
    expect(documents.body.total).toBe(2);
    expect(await api().runtime.store.list(`orgs/${org.id}/`)).toHaveLength(2);
    const usage = await api().call("GET", "/api/usage", token);
    expect(usage.body).toMatchObject({ usage: { uploads: 2, uploadQuota: 2 } });
  });

  test("an upload starting a job past the job quota: 429, nothing kept", async () => {
    const org = await api().createOrg(unique("JobQuota"), { monthlyJobQuota: 1 });
    const email = `${unique("jobquota")}@quota.test`;
    await api().createUser(api().admin.token, { email, orgId: org.id, role: "org_admin" });
    const { token } = await api().login(email, PASSWORD);
    const pipeline = await api().createPipeline(token);
    const first = await api().upload(
      token,
      { name: "one.txt", bytes: "one" },
      {
        pipelineId: pipeline.id,
      },
    );
    expect(first.status).toBe(201);

    const second = await api().upload(
      token,
      { name: "two.txt", bytes: "two" },
      {
        pipelineId: pipeline.id,
      },
    );
    expect(second.status).toBe(429);
    const body = (await second.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe("quota_exceeded");
    expect(body.error.message).toContain("quota of 1");

    // Neither the second document's row nor its object, nor its upload or job count.
    const documents = await api().call<{ items: { name: string }[] }>(
      "GET",
      "/api/documents",
      token,
    );
    expect(documents.body.items.map((d) => d.name)).toEqual(["one.txt"]);
    expect(await api().runtime.store.list(`orgs/${org.id}/documents/`)).toHaveLength(1);
    const usage = await api().call("GET", "/api/usage", token);
    expect(usage.body).toMatchObject({ usage: { uploads: 1, jobs: 1, jobQuota: 1 } });

    // Without a job the same upload is within quota.
    const plain = await api().upload(token, { name: "two.txt", bytes: "two" });
    expect(plain.status).toBe(201);
  });
});
