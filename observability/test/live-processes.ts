/** Child processes for the live-system test: crPipeline roles and Prometheus, with their output. */

import type { Subprocess } from "bun";

export const REPO_ROOT = new URL("../..", import.meta.url).pathname;

// Enough of a child's output to explain a failure without holding a whole run in memory.
const KEPT_OUTPUT = 64 * 1024;

export interface Child {
  name: string;
  process: Subprocess<"ignore", "pipe", "pipe">;
  /** The last few kilobytes of stdout and stderr, interleaved as they arrived. */
  output(): string;
  /** SIGTERM (or `signal`), SIGKILL after `graceMs`; resolves with the exit code. */
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<number>;
}

/**
 * Only what a process needs to run, so variables of the machine running the tests (a
 * DATABASE_URL, an S3_ENDPOINT) cannot leak into the configuration under test.
 */
export function baseEnv(extra: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of ["PATH", "HOME", "TMPDIR", "LANG"]) {
    const value = process.env[name];
    if (value !== undefined) env[name] = value;
  }
  return { ...env, ...extra };
}

export function spawnChild(name: string, command: string[], env: Record<string, string>): Child {
  const child = Bun.spawn(command, {
    cwd: REPO_ROOT,
    env,
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  let kept = "";
  const drain = async (stream: ReadableStream<Uint8Array>) => {
    const decoder = new TextDecoder();
    for await (const chunk of stream) {
      kept = (kept + decoder.decode(chunk, { stream: true })).slice(-KEPT_OUTPUT);
    }
  };
  // A pipe nobody reads fills up and blocks the child, so both are read until they close.
  const drained = Promise.all([drain(child.stdout), drain(child.stderr)]).catch(() => {});

  return {
    name,
    process: child,
    output: () => kept,
    async stop(signal = "SIGTERM", graceMs = 10_000) {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill(signal);
        const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
        await child.exited;
        clearTimeout(timer);
      }
      await drained;
      return child.exitCode ?? 128;
    },
  };
}

/** Resolves once `url` answers 200; fails at once, with the child's output, if the child exits. */
export async function waitUntilServing(child: Child, url: string, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.process.exitCode !== null) {
      throw new Error(`${child.name} exited with ${child.process.exitCode}${tail(child)}`);
    }
    const ok = await fetch(url).then(
      (response) => response.ok,
      () => false,
    );
    if (ok) return;
    await Bun.sleep(100);
  }
  throw new Error(`${child.name} did not serve ${url} within ${timeoutMs} ms${tail(child)}`);
}

const tail = (child: Child) => `\n--- ${child.name} output ---\n${child.output()}`;
