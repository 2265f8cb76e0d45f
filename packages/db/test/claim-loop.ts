/** Child process for the cross-process claim test: claims until the queue is empty. */

import { silentLogger } from "@crpipeline/log";
import { createDatabase } from "../src/database.ts";
import { claimJob, finishJob } from "../src/queue.ts";

const [url, workerId] = process.argv.slice(2) as [string, string];
const db = await createDatabase({ url, logger: silentLogger });
const claimed: string[] = [];
for (;;) {
  const claim = await claimJob(db, { workerId, leaseSeconds: 60 });
  if (!claim) break;
  claimed.push(claim.job.id);
  await finishJob(db, claim.job.id, workerId, { status: "succeeded" });
}
await db.close();
process.stdout.write(JSON.stringify(claimed));
