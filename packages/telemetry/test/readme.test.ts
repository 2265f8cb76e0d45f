/** The README's configuration and metrics tables are the ones the code renders. */

import { expect, test } from "bun:test";
import { renderedReadme } from "../../../.ci/readme-sync.ts";

test("README tables are current (regenerate with `bun run docs`)", async () => {
  const { current, rendered } = await renderedReadme();
  expect(current).toBe(rendered);
});
