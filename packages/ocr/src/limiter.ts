/** Runs at most `size` tasks at once; the rest wait their turn in arrival order. */

export interface Limiter {
  run<T>(task: () => Promise<T>): Promise<T>;
}

export function createLimiter(size: number): Limiter {
  let running = 0;
  const waiting: (() => void)[] = [];

  const turn = () =>
    new Promise<void>((resolve) => {
      if (running < size) {
        running += 1;
        resolve();
      } else {
        waiting.push(resolve);
      }
    });

  const done = () => {
    const next = waiting.shift();
    // The finishing task hands its place straight to the next one, so `running` stays put.
    if (next) next();
    else running -= 1;
  };

  return {
    async run(task) {
      await turn();
      try {
        return await task();
      } finally {
        done();
      }
    },
  };
}
