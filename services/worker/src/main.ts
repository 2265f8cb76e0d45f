/** `bun run worker`: the worker role alone, with its own metrics endpoint (METRICS_PORT). */

import { openRuntime, runMain } from "@crpipeline/runtime";
import { startWorker } from "./worker.ts";

await runMain("worker", async (config, logger) => {
  const runtime = await openRuntime({ config, logger });
  const worker = startWorker(runtime, {
    concurrency: config.workerConcurrency,
    leaseSeconds: config.jobLeaseSeconds,
  });
  return {
    async stop() {
      await worker.stop();
      await runtime.close();
    },
  };
});
