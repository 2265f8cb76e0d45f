/** The regex work itself, run inside the regex worker so that a runaway pattern can be killed. */

export type RegexTask =
  | {
      kind: "matches";
      /** What the task is called in errors: the stage's regex name, or `lines.match`. */
      label: string;
      source: string;
      flags: string;
      /** Capture group to return: a number, a group name, or undefined for the whole match. */
      group: number | string | undefined;
      max: number;
    }
  | { kind: "filter"; label: string; source: string; flags: string; max: number };

export interface RegexRequest {
  text: string;
  lines: string[];
  tasks: RegexTask[];
}

export interface TaskResult {
  values: string[];
  /** More values existed than `max` allowed. */
  truncated: boolean;
}

export type WorkerMessage =
  | { type: "started"; index: number }
  | { type: "done"; index: number; result: TaskResult };

export function runTask(task: RegexTask, text: string, lines: string[]): TaskResult {
  return task.kind === "matches" ? collectMatches(task, text) : filterLines(task, lines);
}

/** Every non-overlapping match's chosen group; empty captures (zero-width matches) are skipped. */
function collectMatches(task: Extract<RegexTask, { kind: "matches" }>, text: string): TaskResult {
  const values: string[] = [];
  for (const match of text.matchAll(new RegExp(task.source, `${task.flags}g`))) {
    const value =
      typeof task.group === "string" ? match.groups?.[task.group] : match[task.group ?? 0];
    if (value === undefined || value === "") continue;
    if (values.length === task.max) return { values, truncated: true };
    values.push(value);
  }
  return { values, truncated: false };
}

function filterLines(task: Extract<RegexTask, { kind: "filter" }>, lines: string[]): TaskResult {
  const pattern = new RegExp(task.source, task.flags);
  const values: string[] = [];
  for (const line of lines) {
    if (!pattern.test(line)) continue;
    if (values.length === task.max) return { values, truncated: true };
    values.push(line);
  }
  return { values, truncated: false };
}
