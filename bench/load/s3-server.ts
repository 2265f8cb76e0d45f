/** Child process for the load test: one embedded S3 server, announced as a JSON line on stdout. */

import { silentLogger } from "../../packages/log/src/index.ts";
import { startEmbeddedS3 } from "../../packages/storage/src/index.ts";

const dataDir = process.argv[2];
if (!dataDir) throw new Error("usage: bun bench/load/s3-server.ts <data-dir>");

const s3 = await startEmbeddedS3({ dataDir, logger: silentLogger });
process.stdout.write(
  `${JSON.stringify({
    endpoint: s3.endpoint,
    accessKeyId: s3.accessKeyId,
    secretAccessKey: s3.secretAccessKey,
  })}\n`,
);

const stop = async () => {
  await s3.stop();
  process.exit(0);
};
process.on("SIGTERM", () => void stop());
process.on("SIGINT", () => void stop());
