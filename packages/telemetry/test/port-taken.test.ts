/** A taken metrics port stops the process loudly, naming the port. */

import { expect, test } from "bun:test";
import { join } from "node:path";
import { loadConfig } from "@crpipeline/config";
import { freePort } from "@crpipeline/testing";
import { createTelemetry, MetricsPortError } from "../src/index.ts";

test("listen() on a taken port throws MetricsPortError naming the port", async () => {
  const port = await freePort();
  const config = loadConfig({ METRICS_HOST: "127.0.0.1", METRICS_PORT: String(port) });
  const first = createTelemetry(config);
  first.listen();
  const second = createTelemetry(config);
  try {
    expect(() => second.listen()).toThrow(MetricsPortError);
    expect(() => second.listen()).toThrow(`127.0.0.1:${port}`);
  } finally {
    await first.shutdown();
    await second.shutdown();
  }
});

test("a second process on the same port exits non-zero with a clear message", async () => {
  const port = await freePort();
  const config = loadConfig({ METRICS_HOST: "127.0.0.1", METRICS_PORT: String(port) });
  const holder = createTelemetry(config);
  holder.listen();
  try {
    const child = Bun.spawn(["bun", join(import.meta.dir, "listen-child.ts")], {
      env: { ...process.env, METRICS_HOST: "127.0.0.1", METRICS_PORT: String(port) },
      stderr: "pipe",
      stdout: "pipe",
    });
    const code = await child.exited;
    const stderr = await new Response(child.stderr).text();
    expect(code).not.toBe(0);
    expect(stderr).toContain(`cannot serve metrics on 127.0.0.1:${port}`);
    expect(stderr).toContain("METRICS_PORT");
  } finally {
    await holder.shutdown();
  }
});
