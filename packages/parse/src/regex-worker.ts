/** Worker entry: runs regex tasks in order and reports each start, so the parent can time them. */

import { type RegexRequest, runTask, type WorkerMessage } from "./regex-match.ts";

declare const self: Worker;

self.onmessage = (event: MessageEvent<RegexRequest>) => {
  const { text, lines, tasks } = event.data;
  tasks.forEach((task, index) => {
    self.postMessage({ type: "started", index } satisfies WorkerMessage);
    self.postMessage({
      type: "done",
      index,
      result: runTask(task, text, lines),
    } satisfies WorkerMessage);
  });
};
