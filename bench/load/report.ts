/** Turns one round's raw samples into the numbers the load test reports. */

import { KINDS, type Kind, type RoundSamples } from "./traffic.ts";

export interface KindStats {
  requests: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
}

export interface RoundReport {
  round: number;
  seconds: number;
  requests: number;
  requestsPerSecond: number;
  perKind: Record<Kind, KindStats>;
  /** Non-2xx answers other than 429, plus requests that got no answer. */
  errors: number;
  failures: Record<string, number>;
  networkErrors: number;
  rateLimited: number;
  /** Jobs that reached `succeeded` during the round, per second. */
  jobsCompletedPerSecond: number;
  /** Jobs still queued or running when the round's traffic stopped. */
  queueDepthAtEnd: { queued: number; running: number };
  apiRssMiB: number;
  examples: string[];
}

const round1 = (value: number) => Math.round(value * 10) / 10;

export const mib = (bytes: number) => round1(bytes / 2 ** 20);

/** The value below which a share `q` of the sorted samples lie (nearest rank). */
export function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? 0;
}

export function summarise(
  round: number,
  samples: RoundSamples,
  extra: Pick<RoundReport, "jobsCompletedPerSecond" | "queueDepthAtEnd" | "apiRssMiB">,
): RoundReport {
  const perKind = {} as Record<Kind, KindStats>;
  let requests = samples.networkErrors;
  for (const kind of KINDS) {
    const sorted = samples.latencies[kind].toSorted((a, b) => a - b);
    requests += sorted.length;
    perKind[kind] = {
      requests: sorted.length,
      perSecond: round1(sorted.length / samples.seconds),
      p50Ms: round1(quantile(sorted, 0.5)),
      p99Ms: round1(quantile(sorted, 0.99)),
    };
  }
  const failed = Object.values(samples.failures).reduce((sum, n) => sum + n, 0);
  return {
    round,
    seconds: round1(samples.seconds),
    requests,
    requestsPerSecond: round1(requests / samples.seconds),
    perKind,
    errors: failed + samples.networkErrors,
    failures: samples.failures,
    networkErrors: samples.networkErrors,
    rateLimited: samples.rateLimited,
    ...extra,
    examples: samples.examples,
  };
}

/** One line per round, for people reading the terminal. */
export function formatRound(report: RoundReport): string {
  const kinds = KINDS.map((kind) => {
    const stats = report.perKind[kind];
    return `${kind} ${stats.perSecond}/s p50 ${stats.p50Ms} p99 ${stats.p99Ms} ms`;
  }).join(" | ");
  return (
    `round ${report.round}: ${report.requestsPerSecond} req/s, errors ${report.errors}, ` +
    `429 ${report.rateLimited}, jobs ${report.jobsCompletedPerSecond}/s, queue ` +
    `${report.queueDepthAtEnd.queued}+${report.queueDepthAtEnd.running}, ` +
    `API RSS ${report.apiRssMiB} MiB\n  ${kinds}`
  );
}
