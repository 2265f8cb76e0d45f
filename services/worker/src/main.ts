/** `bun run worker`: the worker role alone, with its own metrics endpoint (METRICS_PORT). */

import { openRuntime, runMain } from "@crpipeline/runtime";
import { startWorker } from "./worker.ts";

await runMain("worker", async (config, logger, exit) => {
  const runtime = await openRuntime({ config, logger });
  const idleExit = config.workerIdleExitSeconds;
  const worker = startWorker(runtime, {
    concurrency: config.workerConcurrency,
    leaseSeconds: config.jobLeaseSeconds,
    ...(idleExit > 0 ? { idleTimeoutMs: idleExit * 1000, onIdleTimeout: () => exit("idle") } : {}),
  });
  return {
    async stop() {
      await worker.stop();
      await runtime.close();
    },
  };
});
