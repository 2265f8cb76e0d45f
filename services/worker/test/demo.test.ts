/** `bun run demo` as a process: every sample succeeds, report PDFs land in the output directory. */

import { afterAll, expect, setDefaultTimeout, test } from "bun:test";
import { mkdirSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { readPdf } from "@crpipeline/report/pdf.test-utils";
import { tempDir } from "@crpipeline/testing";
import { REPO_ROOT } from "./drills/drills.test-utils.ts";

// Six documents, two of them OCR'd page by page with tesseract.js, on a shared machine.
setDefaultTimeout(300_000);
const SAMPLES = [
  "text-layer.pdf",
  "scanned.pdf",
  "invoice.png",
  "invoice.jpg",
  "invoice.tiff",
  "text.md",
];

const dir = tempDir("crp-demo-test-");
afterAll(() => dir.cleanup());

test("bun run demo writes a report PDF per sample and leaves no data behind", async () => {
  const out = join(dir.path, "out");
  // The demo's temporary DATA_DIR goes under TMPDIR: an empty one shows it was removed.
  const tmp = join(dir.path, "tmp");
  mkdirSync(tmp);
  const child = Bun.spawn(["bun", join(REPO_ROOT, "services/worker/src/demo.ts"), out], {
    cwd: dir.path,
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", TMPDIR: tmp },
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  const [code, stdout, stderr] = await Promise.all([
    child.exited,
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
  ]);

  expect({ code, stderr: code === 0 ? "" : stderr.slice(-2000) }).toEqual({ code: 0, stderr: "" });
  for (const sample of SAMPLES) {
    expect(stdout).toMatch(new RegExp(`^${sample.replace(".", "\\.")}\\s+succeeded`, "m"));
  }
  expect(stdout).toContain(`reports written to ${out}`);

  const written = readdirSync(out).sort();
  expect(written).toEqual(SAMPLES.map((s) => `${s}.report.pdf`).sort());
  for (const name of written) {
    const bytes = await Bun.file(join(out, name)).bytes();
    expect(new TextDecoder().decode(bytes.slice(0, 5))).toBe("%PDF-");
    expect((await readPdf(bytes)).pageCount).toBeGreaterThan(0);
  }
  expect(readdirSync(tmp)).toEqual([]);
  // Nothing written where it was started: the output directory is the only trace.
  expect(readdirSync(dir.path).sort()).toEqual(["out", "tmp"]);
});
