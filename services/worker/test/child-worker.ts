/** A worker in its own process for the crash test: the environment says where the data lives. */

import { loadConfig } from "@crpipeline/config";
import { silentLogger } from "@crpipeline/log";
import { openRuntime } from "@crpipeline/runtime";
import { startWorker } from "../src/worker.ts";

const config = loadConfig(process.env);
const runtime = await openRuntime({ config, logger: silentLogger, serveMetrics: false });
const worker = startWorker(runtime, {
  concurrency: 1,
  leaseSeconds: config.jobLeaseSeconds,
  pollIntervalMs: 50,
});
process.stdout.write(`ready ${worker.id}\n`);
