/**
 * tesseract.js needs no network: a child process in a network namespace without any interface
 * up (no DNS, no route, not even loopback) reads a scanned image and a scanned PDF.
 */

import { expect, test } from "bun:test";
import { join } from "node:path";
import { requireService } from "@crpipeline/testing";
import { cer } from "../src/cer.ts";
import { groundTruth } from "../src/ocr.test-utils.ts";

const MAX_CER = 0.05;

/** `unshare --net` needs root (or user namespaces); under CI its absence is a failure. */
const canIsolate = await requireService("a network namespace (unshare --net)", async () => {
  const probe = Bun.spawnSync(["unshare", "--net", "true"], { stderr: "pipe" });
  if (probe.exitCode !== 0) throw new Error(probe.stderr.toString().trim() || "unshare failed");
});

test.skipIf(!canIsolate)(
  "OCR runs with no network at all",
  async () => {
    const child = Bun.spawn(
      ["unshare", "--net", "bun", join(import.meta.dir, "offline-child.ts")],
      {
        cwd: import.meta.dir,
        stdout: "pipe",
        stderr: "pipe",
      },
    );
    const timer = setTimeout(() => child.kill("SIGKILL"), 100_000);
    const [stdout, stderr, exitCode] = await Promise.all([
      new Response(child.stdout).text(),
      new Response(child.stderr).text(),
      child.exited,
    ]);
    clearTimeout(timer);
    expect({ exitCode, stderr: exitCode === 0 ? "" : stderr }).toEqual({ exitCode: 0, stderr: "" });

    // Inside the namespace nothing answers: prove it is the isolated one the OCR ran in.
    const probe = Bun.spawnSync([
      "unshare",
      "--net",
      "bun",
      "-e",
      "await fetch('http://127.0.0.1:9')",
    ]);
    expect(probe.exitCode).not.toBe(0);

    const { image, scanned } = JSON.parse(stdout) as {
      image: { text: string; pages: { source: string }[] };
      scanned: { text: string; pages: { source: string }[] };
    };
    const truth = await groundTruth();
    expect(image.pages.map((p) => p.source)).toEqual(["ocr"]);
    expect(scanned.pages.map((p) => p.source)).toEqual(["ocr", "ocr"]);
    expect(cer(truth.whole, scanned.text)).toBeLessThan(MAX_CER);
    expect(image.text).toContain("Invoice");
  },
  120_000,
);
