/** `bun run bench`: runs every benchmark in one process, prints the numbers, writes JSON. */

import { mkdirSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { join } from "node:path";

type Bench = { name: string; run: () => Promise<unknown> };

// Each benchmark lives next to the code it measures; this only sequences them.
const benches: Bench[] = [
  {
    name: "metrics",
    run: async () => (await import("../packages/telemetry/bench/metrics.bench.ts")).benchMetrics(),
  },
  {
    name: "ocr",
    run: async () => (await import("../packages/ocr/bench/ocr.bench.ts")).runOcrBench(),
  },
  {
    name: "report",
    run: async () => ({
      pagesPerSecond: await (
        await import("../packages/report/bench/report.bench.ts")
      ).reportPagesPerSecond(),
    }),
  },
  {
    name: "upload",
    run: async () => (await import("../packages/storage/bench/upload.bench.ts")).benchUpload(),
  },
  {
    name: "jobs",
    run: async () => (await import("../services/worker/bench/jobs.bench.ts")).queueBenchmark(),
  },
  {
    // The same batch drained by 1, 2 and 4 worker processes on Postgres.
    name: "workers",
    run: async () => (await import("./workers.ts")).benchWorkers(),
  },
  {
    name: "api",
    run: async () => (await import("./api.bench.ts")).benchApi(),
  },
  {
    // 4 rounds of 10 s on Postgres: throughput, latency and whether the API's memory levels off.
    name: "load",
    run: async () =>
      (await import("./load.ts")).runLoad({ seconds: 10, rounds: 4, concurrency: 16, workers: 2 }),
  },
];

const only = process.argv.slice(2);
const machine = {
  cpu: cpus()[0]?.model ?? "unknown",
  cores: cpus().length,
  memoryGiB: Math.round(totalmem() / 2 ** 30),
  bun: Bun.version,
  date: new Date().toISOString(),
};
console.log(JSON.stringify({ machine }, null, 2));

const results: Record<string, unknown> = { machine };
for (const bench of benches) {
  if (only.length > 0 && !only.includes(bench.name)) continue;
  const started = performance.now();
  try {
    results[bench.name] = await bench.run();
  } catch (error) {
    results[bench.name] = { error: (error as Error).message };
  }
  console.log(`\n## ${bench.name} (${((performance.now() - started) / 1000).toFixed(1)} s)`);
  console.log(JSON.stringify(results[bench.name], null, 2));
}

const dir = join(import.meta.dir, "results");
mkdirSync(dir, { recursive: true });
await Bun.write(join(dir, "latest.json"), `${JSON.stringify(results, null, 2)}\n`);
console.log(`\nwritten to ${join(dir, "latest.json")}`);
