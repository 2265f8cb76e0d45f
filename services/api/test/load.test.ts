/** A short load test in CI: API and workers as real processes on Postgres, three rounds. */

import { describe, expect, test } from "bun:test";
import { postgresAvailable } from "@crpipeline/db/db.test-utils";
import { formatRound } from "../../../bench/load/report.ts";
import { type LoadReport, runLoad } from "../../../bench/load.ts";

const ROUNDS = 3;
const SECONDS = 8;

/**
 * The API's RSS after the last round may be at most this multiple of its RSS after the first.
 * Round 1 pays the one-off costs (JIT, connection pools, allocator arenas), so later rounds of
 * the same traffic should cost nothing lasting. Bun's heap breathes by a few MiB between
 * samples, far below the 50 % allowed; a leak keeping ~50 KB per request (a body, a Request
 * kept in a map) adds more than that over two rounds of ~1,000 requests. Smaller leaks need
 * the long run (`bun bench/load.ts 60`).
 */
const RSS_GROWTH_LIMIT = 1.5;

describe.skipIf(!postgresAvailable)("load [postgres]", () => {
  test(
    "mixed uploads and reads: no errors, every job done, memory levels off",
    async () => {
      const report: LoadReport = await runLoad({
        seconds: SECONDS,
        rounds: ROUNDS,
        concurrency: 8,
        workers: 2,
        apiKeys: 60,
        drainSeconds: 90,
        // The figures go to the CI log: throughput, latency and errors per round.
        onRound: (round) => console.log(`load ${formatRound(round)}`),
      });
      console.log(
        `load: API RSS ${report.apiRssMiB.start} MiB at start, ` +
          `${report.apiRssMiB.perRound.join(" / ")} MiB after each round; ` +
          `${report.jobs.created} jobs ${JSON.stringify(report.jobs.byStatus)}, ` +
          `drained in ${report.jobs.drainSeconds} s`,
      );

      for (const round of report.rounds) {
        // No 5xx, no 4xx, no dropped connections; the examples say what failed if any did.
        expect({ round: round.round, errors: round.errors, examples: round.examples }).toEqual({
          round: round.round,
          errors: 0,
          examples: [],
        });
        // Every key is kept under its limit by the client, so the limiter must never refuse.
        expect(round.rateLimited).toBe(0);
        for (const kind of ["upload", "list", "getJob", "download"] as const) {
          expect(round.perKind[kind].requests).toBeGreaterThan(0);
        }
      }

      expect(report.jobs.created).toBeGreaterThan(0);
      expect(report.jobs.byStatus).toEqual({ succeeded: report.jobs.created });

      const [first] = report.apiRssMiB.perRound;
      const last = report.apiRssMiB.perRound.at(-1);
      expect(first).toBeGreaterThan(0);
      expect(last).toBeLessThanOrEqual((first ?? 0) * RSS_GROWTH_LIMIT);
    },
    (ROUNDS * SECONDS + 180) * 1000,
  );
});
