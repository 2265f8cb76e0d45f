/** Checks a process' /metrics text against the contract: every listed series starts at 0. */

import { CATALOGUE, labelCombinations, parseSamples } from "@crpipeline/telemetry";

/**
 * The instruments whose every label set is known in advance (histograms through their
 * `_count`); the request metrics' routes and status codes only exist once the API declares them.
 */
export const ZERO_AT_START = CATALOGUE.filter((spec) => labelCombinations(spec).length > 0);

/** What is missing or not 0 in a freshly started process' exposition; empty when all is well. */
export function problemsAtStart(text: string): string[] {
  const samples = parseSamples(text);
  const problems: string[] = [];
  for (const spec of ZERO_AT_START) {
    const name = spec.type === "histogram" ? `${spec.name}_count` : spec.name;
    for (const labels of labelCombinations(spec)) {
      const where = `${name}${JSON.stringify(labels)}`;
      const matching = samples.filter(
        (sample) =>
          sample.name === name &&
          Object.keys(sample.labels).length === Object.keys(labels).length &&
          Object.entries(labels).every(([key, value]) => sample.labels[key] === value),
      );
      if (matching.length !== 1) problems.push(`${where}: ${matching.length} samples`);
      else if (matching[0]?.value !== 0) problems.push(`${where} = ${matching[0]?.value}`);
    }
  }
  return problems;
}
