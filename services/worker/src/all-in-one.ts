/**
 * `bun run services`: the API and the worker in one process on one runtime, so one metrics
 * endpoint, one database pool and (without S3_ENDPOINT) one embedded S3 server serve both.
 */

import { type RunningApi, startApi } from "@crpipeline/api";
import { openRuntime, runMain } from "@crpipeline/runtime";
import { startWorker } from "./worker.ts";

await runMain("services", async (config, logger) => {
  const runtime = await openRuntime({ config, logger });
  const worker = startWorker(runtime, {
    concurrency: config.workerConcurrency,
    leaseSeconds: config.jobLeaseSeconds,
  });
  let api: RunningApi;
  try {
    // A job created here is claimed at once instead of at the worker's next poll.
    api = await startApi(runtime, { onJobQueued: () => worker.wake() });
  } catch (error) {
    await worker.stop();
    await runtime.close();
    throw error;
  }
  logger.info({ apiPort: api.port, workerId: worker.id }, "services started");
  return {
    async stop() {
      // The API first, so no new jobs arrive while the worker drains.
      await api.stop();
      await worker.stop();
      await runtime.close();
    },
  };
});
