/** Drill: the metrics port is already taken; each entry point must exit at once, saying why. */

import { afterEach, expect, setDefaultTimeout, test } from "bun:test";
import { createServer, type Server } from "node:net";
import { freePort, tempDir } from "@crpipeline/testing";
import { Cleanup, type EntryPoint, report, spawnService } from "./drills.test-utils.ts";

setDefaultTimeout(60_000);
const cleanup = new Cleanup();
afterEach(() => cleanup.run());

/** Listens on a loopback port until closed, like another program holding it would. */
async function holdPort(): Promise<{ port: number; server: Server }> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return { port, server };
}

/** Whether this process can bind `port` on loopback right now. */
async function portIsFree(port: number): Promise<boolean> {
  const server = createServer();
  return new Promise((resolve) => {
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
}

const ENTRIES: EntryPoint[] = ["services", "api", "worker"];

test.each(ENTRIES)("%s exits non-zero at once, naming the taken port", async (entry) => {
  const held = await holdPort();
  cleanup.add(() => new Promise((resolve) => held.server.close(resolve)));
  const dir = tempDir("crp-drill-metrics-");
  cleanup.add(() => dir.cleanup());
  const apiPort = await freePort();

  const started = performance.now();
  const service = await spawnService(entry, {
    DATA_DIR: dir.path,
    API_PORT: String(apiPort),
    METRICS_PORT: String(held.port),
  });
  cleanup.add(() => service.stop(1000));

  let timer: Timer | undefined;
  const deadline = new Promise<"still running">((resolve) => {
    timer = setTimeout(() => resolve("still running"), 20_000);
  });
  const code = await Promise.race([service.exited, deadline]);
  clearTimeout(timer);
  const seconds = (performance.now() - started) / 1000;

  expect(code).not.toBe("still running");
  expect(code).not.toBe(0);
  const stderr = service.stderr();
  expect(stderr).toContain(String(held.port));
  expect(stderr).toContain("METRICS_PORT");

  // Nothing of it is left: the API port it would have used is free, the holder still serves.
  const apiPortFree = await portIsFree(apiPort);
  expect(apiPortFree).toBe(true);
  expect(held.server.listening).toBe(true);
  const message = stderr.trim().split("\n").at(-1);
  report(
    "metrics-port",
    `${entry} exited ${code} after ${seconds.toFixed(2)} s; API port free: ${apiPortFree}; ` +
      `stderr: "${message}"`,
  );
});
