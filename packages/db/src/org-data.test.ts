import { expect, test } from "bun:test";
import { AppError } from "@crpipeline/errors";
import { appendAudit, listAudit } from "./audit.repository.ts";
import { describeEachEngine, seedTenant } from "./db.test-utils.ts";
import { createOrganisation } from "./organisations.repository.ts";
import { createSecretBox } from "./secret-box.ts";
import { getInternalSettings, getSettings, updateSettings } from "./settings.repository.ts";

const newKey = () => crypto.getRandomValues(new Uint8Array(32));
const box = createSecretBox(newKey());

import { getUsage, releaseUsage, reserveUsage, usagePeriod } from "./usage.repository.ts";

describeEachEngine("settings", (current) => {
  test("defaults, merging updates, secrets write-only", async () => {
    const { db } = current();
    const { org } = await seedTenant(db);
    expect(await getSettings(db, org.id, box)).toEqual({
      promptTemplates: {},
      ai: { url: null, model: null },
      secrets: { aiApiKey: false, ocrKeys: [] },
    });

    await updateSettings(
      db,
      org.id,
      {
        promptTemplates: { summary: "Summarise {{text}}", keep: "k" },
        ai: { url: "http://ai.local/v1" },
        secrets: { aiApiKey: "sk-very-secret", ocrKeys: { scanner: "ocr-secret" } },
      },
      box,
    );
    const view = await updateSettings(
      db,
      org.id,
      {
        promptTemplates: { summary: null, extract: "Extract {{parsed}}" },
        ai: { model: "small" },
      },
      box,
    );
    expect(view).toEqual({
      promptTemplates: { keep: "k", extract: "Extract {{parsed}}" },
      ai: { url: "http://ai.local/v1", model: "small" },
      secrets: { aiApiKey: true, ocrKeys: ["scanner"] },
    });
    expect(await getSettings(db, org.id, box)).toEqual(view);
    expect(JSON.stringify(view)).not.toContain("sk-very-secret");
    expect(JSON.stringify(view)).not.toContain("ocr-secret");

    const internal = await getInternalSettings(db, org.id, box);
    expect(internal.secrets).toEqual({
      aiApiKey: "sk-very-secret",
      ocrKeys: { scanner: "ocr-secret" },
    });
    await updateSettings(db, org.id, { secrets: { aiApiKey: null } }, box);
    expect((await getSettings(db, org.id, box)).secrets.aiApiKey).toBe(false);
  });

  test("organisations do not see each other's settings; concurrent updates all land", async () => {
    const { db } = current();
    const a = await seedTenant(db, "a");
    const b = await seedTenant(db, "b");
    await updateSettings(db, a.org.id, { secrets: { aiApiKey: "a-key" } }, box);
    expect((await getSettings(db, b.org.id, box)).secrets.aiApiKey).toBe(false);
    expect((await getInternalSettings(db, b.org.id, box)).secrets.aiApiKey).toBeNull();

    await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        updateSettings(db, a.org.id, { promptTemplates: { [`t${i}`]: `${i}` } }, box),
      ),
    );
    expect(Object.keys((await getSettings(db, a.org.id, box)).promptTemplates).sort()).toEqual(
      Array.from({ length: 8 }, (_, i) => `t${i}`),
    );
  });
});

describeEachEngine("settings secrets at rest", (current) => {
  test("are sealed in the row, and only the same key opens them", async () => {
    const { db } = current();
    const { org } = await seedTenant(db);
    await updateSettings(db, org.id, { secrets: { aiApiKey: "sk-sealed-1" } }, box);
    const [row] = await db.sql<{ secrets: string }>`
      SELECT secrets FROM settings WHERE org_id = ${org.id}`;
    expect(row?.secrets).toStartWith("v1.");
    expect(row?.secrets).not.toContain("sk-sealed-1");

    const otherKey = createSecretBox(newKey());
    const refused = await getInternalSettings(db, org.id, otherKey).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(AppError);
    expect(refused).toMatchObject({ status: 500, code: "secrets_unreadable" });
    expect((refused as Error).message).toContain("SECRETS_KEY");
    expect((await getInternalSettings(db, org.id, box)).secrets.aiApiKey).toBe("sk-sealed-1");
  });

  test("a row written before sealing is read as it is and sealed on its next update", async () => {
    const { db } = current();
    const { org } = await seedTenant(db);
    const plain = JSON.stringify({ aiApiKey: "sk-legacy", ocrKeys: { scan: "k" } });
    await db.sql`
      INSERT INTO settings (org_id, data, secrets, updated_at)
      VALUES (${org.id}, ${"{}"}, ${plain}, ${Date.now()})`;
    expect((await getInternalSettings(db, org.id, box)).secrets).toEqual({
      aiApiKey: "sk-legacy",
      ocrKeys: { scan: "k" },
    });

    await updateSettings(db, org.id, { promptTemplates: { t: "x" } }, box);
    const [row] = await db.sql<{ secrets: string }>`
      SELECT secrets FROM settings WHERE org_id = ${org.id}`;
    expect(row?.secrets).toStartWith("v1.");
    expect(row?.secrets).not.toContain("sk-legacy");
    expect((await getInternalSettings(db, org.id, box)).secrets.aiApiKey).toBe("sk-legacy");
  });

  test("a tampered value is refused, not misread", async () => {
    const sealed = box.seal("sk-original");
    const bytes = Buffer.from(sealed.slice(3), "base64url");
    bytes[20] = (bytes[20] ?? 0) ^ 1;
    const tampered = `v1.${bytes.toString("base64url")}`;
    expect(() => box.open(tampered)).toThrow("sealed with another key");
    expect(box.open(sealed)).toBe("sk-original");
    expect(box.seal("same")).not.toBe(box.seal("same"));
  });
});

describeEachEngine("audit log", (current) => {
  test("append, list newest first, filter by action, scoped by organisation", async () => {
    const { db } = current();
    const a = await seedTenant(db, "a");
    const b = await seedTenant(db, "b");
    await appendAudit(db, { orgId: a.org.id, userId: a.user.id, action: "auth.login", ip: "::1" });
    await appendAudit(db, {
      orgId: a.org.id,
      action: "document.delete",
      targetType: "document",
      targetId: "d1",
      details: { name: "x.pdf" },
    });
    await appendAudit(db, { orgId: a.org.id, userId: a.user.id, action: "auth.login" });
    await appendAudit(db, { orgId: b.org.id, action: "auth.login" });

    const all = await listAudit(db, a.org.id);
    expect(all.total).toBe(3);
    expect(all.items.map((e) => e.action)).toEqual(["auth.login", "document.delete", "auth.login"]);
    expect(all.items[1]).toMatchObject({
      targetId: "d1",
      details: { name: "x.pdf" },
      userId: null,
    });
    const logins = await listAudit(db, a.org.id, { action: "auth.login", limit: 1 });
    expect(logins.total).toBe(2);
    expect(logins.nextCursor).not.toBeNull();
    const rest = await listAudit(db, a.org.id, { action: "auth.login", cursor: logins.nextCursor });
    expect(rest.items).toHaveLength(1);
    expect(rest.items[0]?.ip).toBe("::1");
    expect(rest.nextCursor).toBeNull();
  });
});

describeEachEngine("usage", (current) => {
  test("counts per month and stops at the quota with a 429", async () => {
    const { db } = current();
    const org = await createOrganisation(db, {
      name: `quota-${crypto.randomUUID()}`,
      monthlyUploadQuota: 2,
    });
    expect(await reserveUsage(db, org.id, "uploads")).toBe(1);
    expect(await reserveUsage(db, org.id, "uploads")).toBe(2);
    const error = await reserveUsage(db, org.id, "uploads").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).status).toBe(429);
    expect((error as AppError).code).toBe("quota_exceeded");

    await releaseUsage(db, org.id, "uploads");
    expect(await reserveUsage(db, org.id, "uploads")).toBe(2);
    expect(await reserveUsage(db, org.id, "jobs")).toBe(1); // no job quota: unlimited
    expect(await getUsage(db, org.id)).toEqual({
      period: usagePeriod(),
      uploads: 2,
      jobs: 1,
      uploadQuota: 2,
      jobQuota: null,
    });
    const nextMonth = Date.now() + 40 * 24 * 3600 * 1000;
    expect(await reserveUsage(db, org.id, "uploads", nextMonth)).toBe(1);
  });

  test("concurrent reservations never exceed the quota", async () => {
    const test = current();
    const org = await createOrganisation(test.db, {
      name: `race-${crypto.randomUUID()}`,
      monthlyJobQuota: 5,
    });
    const clients = [test.db, await test.connect(), await test.connect()];
    const results = await Promise.allSettled(
      Array.from({ length: 30 }, (_, i) =>
        reserveUsage(clients[i % clients.length] as typeof test.db, org.id, "jobs"),
      ),
    );
    const granted = results.filter((r) => r.status === "fulfilled");
    expect(granted).toHaveLength(5);
    expect((await getUsage(test.db, org.id)).jobs).toBe(5);
    const rejected = results.filter((r) => r.status === "rejected");
    expect(rejected.every((r) => (r.reason as AppError).status === 429)).toBe(true);
  });
});
