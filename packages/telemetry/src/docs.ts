/** Renders the metrics table the README shows, from the catalogue itself. */

import { CATALOGUE } from "./catalogue.ts";

export function metricsMarkdownTable(): string {
  const rows = CATALOGUE.map((spec) => {
    const labels = Object.entries(spec.labels)
      .map(([name, values]) =>
        values === "bounded" ? `\`${name}\`` : `\`${name}\`: ${values.join(", ")}`,
      )
      .join("; ");
    return `| \`${spec.name}\` | ${spec.type} | ${labels || "—"} | ${spec.help} |`;
  });
  return ["| name | type | labels | meaning |", "|---|---|---|---|", ...rows].join("\n");
}
