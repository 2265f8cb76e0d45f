/**
 * Worker scale-out: the same batch of tiny jobs (parse → report) drained by 1, 2 and 4 worker
 * processes on one Postgres, each worker at WORKER_CONCURRENCY 2. The jobs are queued through
 * the API while the workers already wait; the time runs from the first job's creation to the
 * last one's end, as the database recorded them.
 *
 *   bun bench/workers.ts [jobs]
 */

import { createTestDatabase } from "../packages/db/src/db.test-utils.ts";
import { startCluster } from "./load/cluster.ts";
import { seed } from "./load/seed.ts";

export interface WorkersRow {
  workers: number;
  jobs: number;
  seconds: number;
  jobsPerSecond: number;
}

const TEXT = "Invoice 2024-0042\nTotal: 1,234.56 EUR\nThank you for your order.\n";

async function drainWith(workers: number, jobs: number): Promise<WorkersRow> {
  const database = await createTestDatabase("postgres");
  const cluster = await startCluster({ databaseUrl: database.url, workers, logLevel: "warn" });
  try {
    const { pipelineId, keys } = await seed(cluster.apiUrl, 20);
    const form = new FormData();
    form.append("file", new File([TEXT], "bench.txt", { type: "text/plain" }));
    const uploaded = await fetch(`${cluster.apiUrl}/api/documents`, {
      method: "POST",
      headers: { "x-api-key": await keys.take() },
      body: form,
    });
    if (uploaded.status !== 201) throw new Error(`upload: ${uploaded.status}`);
    const { document } = (await uploaded.json()) as { document: { id: string } };

    // Eight clients queue the batch; the workers, woken by NOTIFY, start on it at once.
    let next = 0;
    const queue = async () => {
      while (next < jobs) {
        next += 1;
        const response = await fetch(`${cluster.apiUrl}/api/jobs`, {
          method: "POST",
          headers: { "x-api-key": await keys.take(), "content-type": "application/json" },
          body: JSON.stringify({ documentId: document.id, pipelineId }),
        });
        if (response.status !== 201) throw new Error(`queue: ${response.status}`);
        await response.arrayBuffer();
      }
    };
    await Promise.all(Array.from({ length: 8 }, queue));

    for (;;) {
      const [row] = await database.db.sql<{ open: number | string; failed: number | string }>`
        SELECT COUNT(*) FILTER (WHERE status IN ('queued', 'running')) AS open,
               COUNT(*) FILTER (WHERE status = 'failed') AS failed
        FROM jobs`;
      if (Number(row?.failed) > 0) throw new Error(`${row?.failed} jobs failed`);
      if (Number(row?.open) === 0) break;
      await Bun.sleep(100);
    }
    const [span] = await database.db.sql<{ first: number | string; last: number | string }>`
      SELECT MIN(created_at) AS first, MAX(finished_at) AS last FROM jobs`;
    const seconds = (Number(span?.last) - Number(span?.first)) / 1000;
    return { workers, jobs, seconds, jobsPerSecond: Math.round((jobs / seconds) * 10) / 10 };
  } finally {
    await cluster.stop();
    await database.cleanup();
  }
}

/** Drains `jobs` jobs with 1, 2 and 4 worker processes, one fresh database each. */
export async function benchWorkers(jobs = 200): Promise<WorkersRow[]> {
  const rows: WorkersRow[] = [];
  for (const workers of [1, 2, 4]) rows.push(await drainWith(workers, jobs));
  return rows;
}

if (import.meta.main) {
  console.log(JSON.stringify(await benchWorkers(Number(process.argv[2] ?? 200)), null, 2));
}
