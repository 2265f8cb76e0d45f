/** A sleep that `wake()` cuts short; a wake while awake makes the next sleep return at once. */

export interface WakeUp {
  wake(): void;
  sleep(ms: number): Promise<void>;
}

export function createWakeUp(): WakeUp {
  let pending = false;
  let interrupt: (() => void) | undefined;

  return {
    wake() {
      pending = true;
      interrupt?.();
    },
    async sleep(ms) {
      if (!pending) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(done, ms);
          function done() {
            clearTimeout(timer);
            interrupt = undefined;
            resolve();
          }
          interrupt = done;
        });
      }
      pending = false;
    },
  };
}
