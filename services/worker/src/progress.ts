/** Writes job progress without queueing: at most one write in flight, only the newest kept. */

import { type Database, updateProgress } from "@crpipeline/db";
import type { Logger } from "@crpipeline/log";

export interface ProgressReporter {
  /** Stage `index` is `fraction` (0..1) done. */
  report(index: number, fraction: number): void;
  /** Resolves once the last reported value is written. */
  flush(): Promise<void>;
}

export function createProgressReporter(options: {
  db: Database;
  logger: Logger;
  jobId: string;
  workerId: string;
  stageCount: number;
  /** The write found the job no longer ours. */
  onLost(): void;
}): ProgressReporter {
  const { db, jobId, workerId, stageCount } = options;
  let pending: { currentStage: number; progress: number } | undefined;
  let writing: Promise<void> = Promise.resolve();
  let active = false;

  async function drain() {
    while (pending) {
      const update = pending;
      pending = undefined;
      try {
        if (!(await updateProgress(db, jobId, workerId, update))) options.onLost();
      } catch (error) {
        // Progress is informative; a failed write must not fail the job.
        options.logger.warn({ jobId, error }, "progress update failed");
      }
    }
    active = false;
  }

  return {
    report(index, fraction) {
      const within = Math.min(Math.max(fraction, 0), 1);
      pending = { currentStage: index, progress: (index + within) / stageCount };
      if (active) return;
      active = true;
      writing = drain();
    },
    flush: () => writing,
  };
}
