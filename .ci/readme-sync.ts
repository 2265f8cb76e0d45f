/** Rewrites the README's generated tables (configuration, metrics); `--check` only compares. */

import { join } from "node:path";
import { configMarkdownTable } from "@crpipeline/config";
import { metricsMarkdownTable } from "@crpipeline/telemetry";

const README = join(import.meta.dir, "..", "README.md");

const sections: Record<string, () => string> = {
  config: configMarkdownTable,
  metrics: metricsMarkdownTable,
};

/** The README with every generated section replaced by its current rendering. */
export async function renderedReadme(): Promise<{ current: string; rendered: string }> {
  const current = await Bun.file(README).text();
  let rendered = current;
  for (const [name, render] of Object.entries(sections)) {
    const start = `<!-- generated:${name} -->`;
    const end = `<!-- /generated:${name} -->`;
    const from = rendered.indexOf(start);
    const to = rendered.indexOf(end);
    if (from < 0 || to < from) throw new Error(`README.md lacks the ${start} … ${end} markers`);
    rendered = `${rendered.slice(0, from + start.length)}\n${render()}\n${rendered.slice(to)}`;
  }
  return { current, rendered };
}

if (import.meta.main) {
  const { current, rendered } = await renderedReadme();
  if (process.argv.includes("--check")) {
    if (current !== rendered) {
      console.error("README.md tables are stale: run `bun run docs`");
      process.exit(1);
    }
  } else {
    await Bun.write(README, rendered);
  }
}
