/**
 * With a real Redis, two API instances share the login limits: the account limit holds across both.
 */

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { ENGINES, postgresAvailable } from "@crpipeline/db/db.test-utils";
import { sampleValue } from "@crpipeline/telemetry";
import { REDIS_URL, requireService, waitForRoomInWindow } from "@crpipeline/testing";
import { RedisClient } from "bun";
import { PASSWORD, startTestApi, type TestApi, unique } from "./api.test-utils.ts";

const redisAvailable = await requireService("redis", async () => {
  const client = new RedisClient(REDIS_URL, { connectionTimeout: 2000, autoReconnect: false });
  try {
    await client.send("PING", []);
  } finally {
    client.close();
  }
});

for (const engine of ENGINES) {
  const skip = !redisAvailable || (engine === "postgres" && !postgresAvailable);
  describe.skipIf(skip)(`login limits shared through Redis [${engine}]`, () => {
    let first: TestApi;
    let second: TestApi;

    beforeAll(async () => {
      first = await startTestApi(engine, { REDIS_URL });
      // The second instance shares the first one's database (and Redis), like a replica.
      second = await startTestApi(engine, { REDIS_URL, DATABASE_URL: first.databaseUrl });
    }, 60_000);
    afterAll(async () => {
      await second?.stop();
      await first?.stop();
    }, 30_000);

    test("both instances report Redis ready", async () => {
      for (const api of [first, second]) {
        const ready = await api.call("GET", "/readyz");
        expect(ready.status).toBe(200);
        expect(ready.body).toMatchObject({ checks: { redis: "ok" } });
      }
    });

    test("5 failed logins spread over two instances; the 6th, on the second, → 429", async () => {
      const email = `${unique("shared")}@redis.test`;
      await first.createUser(first.admin.token, { email });
      const body = (password: string) => JSON.stringify({ email, password });

      // Alternate instances, each attempt from a new address: only the account limit counts,
      // and each instance alone has seen fewer attempts than the limit.
      await waitForRoomInWindow(5 * 60_000, 20_000);
      for (let attempt = 1; attempt <= 5; attempt++) {
        const api = attempt % 2 === 1 ? first : second;
        expect((await api.loginRaw(body("wrong-password"))).status).toBe(401);
      }
      const limited = await second.loginRaw(body(PASSWORD));
      expect(limited.status).toBe(429);
      expect(limited.body).toMatchObject({ error: { code: "rate_limited" } });
      expect(Number(limited.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
      expect(limited.headers.get("ratelimit-limit")).toBe("5");
      expect(limited.headers.get("ratelimit-remaining")).toBe("0");
      expect((await first.loginRaw(body(PASSWORD))).status).toBe(429);

      // Redis answered every check: no fallback was used on either instance.
      for (const api of [first, second]) {
        expect(sampleValue(await api.scrape(), "rate_limit_fallback_total")).toBe(0);
      }
    }, 60_000);

    test("another account is not affected", async () => {
      const email = `${unique("other")}@redis.test`;
      await first.createUser(first.admin.token, { email });
      const session = await second.login(email, PASSWORD);
      expect(session.user.email).toBe(email);
    });
  });
}
