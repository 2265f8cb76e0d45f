/** Why a running job's work was stopped from outside its stages. */

export type InterruptReason = "lease_lost" | "canceled" | "shutdown";

/** The abort reason the worker uses, so the job runner can tell its own aborts from failures. */
export class JobInterrupted extends Error {
  readonly reason: InterruptReason;

  constructor(reason: InterruptReason) {
    super(`job interrupted: ${reason}`);
    this.name = "JobInterrupted";
    this.reason = reason;
  }
}

/** The reason `signal` was aborted by the worker, or undefined when it was not. */
export function interruptReason(signal: AbortSignal): InterruptReason | undefined {
  return signal.aborted && signal.reason instanceof JobInterrupted
    ? signal.reason.reason
    : undefined;
}
