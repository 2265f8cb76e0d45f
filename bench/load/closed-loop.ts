/**
 * A closed-loop HTTP client in its own process (so it does not share an event loop with the
 * server it measures): `concurrency` loops, each sending its next GET when the last answered.
 * Prints one JSON line `{ requests, non2xx, errors, seconds }`.
 *
 *   bun bench/load/closed-loop.ts '{"url":"…","headers":{…},"concurrency":32,"seconds":5}'
 */

export interface ClosedLoopSpec {
  url: string;
  headers: Record<string, string>;
  concurrency: number;
  seconds: number;
}

export interface ClosedLoopResult {
  requests: number;
  non2xx: number;
  errors: number;
  seconds: number;
}

export async function closedLoop(spec: ClosedLoopSpec): Promise<ClosedLoopResult> {
  const result: ClosedLoopResult = { requests: 0, non2xx: 0, errors: 0, seconds: 0 };
  const started = performance.now();
  const deadline = started + spec.seconds * 1000;
  const loop = async () => {
    while (performance.now() < deadline) {
      try {
        const response = await fetch(spec.url, { headers: spec.headers });
        await response.arrayBuffer();
        result.requests += 1;
        if (!response.ok) result.non2xx += 1;
      } catch {
        result.errors += 1;
      }
    }
  };
  await Promise.all(Array.from({ length: spec.concurrency }, loop));
  result.seconds = (performance.now() - started) / 1000;
  return result;
}

if (import.meta.main) {
  const spec = JSON.parse(process.argv[2] ?? "{}") as ClosedLoopSpec;
  process.stdout.write(`${JSON.stringify(await closedLoop(spec))}\n`);
}
