/**
 * Runs configured regexes with a time limit. JavaScript cannot interrupt a regex, and a pattern
 * like `(a+)+$` backtracks exponentially on a few dozen characters, so the matching happens in a
 * worker thread that is terminated when one task runs past its deadline.
 */

import { AppError } from "@crpipeline/errors";
import { type CaptureGroups, captureGroups, groupProblem } from "@crpipeline/pipeline";
import type { RegexRequest, RegexTask, TaskResult, WorkerMessage } from "./regex-match.ts";

const WORKER_URL = new URL("./regex-worker.ts", import.meta.url).href;

/** Checks a task before any thread starts: the pattern compiles and its group exists. */
export function checkTask(task: RegexTask): void {
  let groups: CaptureGroups;
  try {
    groups = captureGroups(task.source, task.flags);
  } catch (error) {
    throw new AppError(
      "parse_invalid_regex",
      `regex "${task.label}" does not compile: ${(error as Error).message}`,
      422,
    );
  }
  if (task.kind !== "matches" || task.group === undefined) return;
  const problem = groupProblem(task.group, groups);
  if (problem) throw new AppError("parse_invalid_group", `regex "${task.label}" ${problem}`, 422);
}

/** Runs the tasks in one worker; each task gets `timeoutMs` from the moment it starts. */
export async function runRegexTasks(
  tasks: RegexTask[],
  input: { text: string; lines: string[] },
  timeoutMs: number,
): Promise<TaskResult[]> {
  if (tasks.length === 0) return [];
  for (const task of tasks) checkTask(task);

  const worker = new Worker(WORKER_URL);
  const results: TaskResult[] = [];
  let finished = 0;
  try {
    return await new Promise<TaskResult[]>((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const arm = (index: number) => {
        clearTimeout(timer);
        timer = setTimeout(() => reject(timeoutError(tasks[index], timeoutMs)), timeoutMs);
      };

      // The first deadline also covers the worker's start-up.
      arm(0);
      worker.onmessage = (event: MessageEvent<WorkerMessage>) => {
        const message = event.data;
        if (message.type === "started") return arm(message.index);
        results[message.index] = message.result;
        finished += 1;
        if (finished === tasks.length) {
          clearTimeout(timer);
          resolve(results);
        }
      };
      worker.onerror = (event) => {
        clearTimeout(timer);
        reject(
          new AppError("parse_failed", `regex matching failed: ${event.message}`, 500, {
            cause: event.error,
          }),
        );
      };
      worker.postMessage({ ...input, tasks } satisfies RegexRequest);
    });
  } finally {
    worker.terminate();
  }
}

function timeoutError(task: RegexTask | undefined, timeoutMs: number): AppError {
  return new AppError(
    "parse_regex_timeout",
    `regex "${task?.label}" ran longer than ${timeoutMs} ms and was stopped; simplify the ` +
      "pattern (nested quantifiers such as (a+)+ backtrack exponentially)",
    422,
  );
}
