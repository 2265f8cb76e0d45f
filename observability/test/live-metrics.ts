/** Checks a process' /metrics text against the contract: every counter and gauge starts at 0. */

import { CATALOGUE, type MetricSpec, parseSamples } from "@crpipeline/telemetry";

/** Every combination of a spec's listed label values; `[{}]` for an instrument without labels. */
function labelSets(spec: MetricSpec): Record<string, string>[] {
  let sets: Record<string, string>[] = [{}];
  for (const [label, values] of Object.entries(spec.labels)) {
    if (values === "bounded") return [];
    sets = sets.flatMap((set) => values.map((value) => ({ ...set, [label]: value })));
  }
  return sets;
}

/**
 * The counters and gauges of the contract whose every label set is known in advance; the
 * request counter's routes and status codes only exist once requests arrive.
 */
export const ZERO_AT_START = CATALOGUE.filter(
  (spec) => spec.type !== "histogram" && labelSets(spec).length > 0,
);

/** What is missing or not 0 in a freshly started process' exposition; empty when all is well. */
export function problemsAtStart(text: string): string[] {
  const samples = parseSamples(text);
  const problems: string[] = [];
  for (const spec of ZERO_AT_START) {
    for (const labels of labelSets(spec)) {
      const where = `${spec.name}${JSON.stringify(labels)}`;
      const matching = samples.filter(
        (sample) =>
          sample.name === spec.name &&
          Object.keys(sample.labels).length === Object.keys(labels).length &&
          Object.entries(labels).every(([key, value]) => sample.labels[key] === value),
      );
      if (matching.length !== 1) problems.push(`${where}: ${matching.length} samples`);
      else if (matching[0]?.value !== 0) problems.push(`${where} = ${matching[0]?.value}`);
    }
  }
  return problems;
}
