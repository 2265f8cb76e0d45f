import { expect, test } from "bun:test";
import { createWakeUp } from "./wake-up.ts";

test("wake() ends a sleep early", async () => {
  const wakeUp = createWakeUp();
  const begun = performance.now();
  setTimeout(() => wakeUp.wake(), 20);
  await wakeUp.sleep(5_000);
  expect(performance.now() - begun).toBeLessThan(1_000);
});

test("a wake while awake makes the next sleep return at once, only once", async () => {
  const wakeUp = createWakeUp();
  wakeUp.wake();
  const begun = performance.now();
  await wakeUp.sleep(5_000);
  expect(performance.now() - begun).toBeLessThan(50);

  const again = performance.now();
  await wakeUp.sleep(60);
  expect(performance.now() - again).toBeGreaterThanOrEqual(50);
});
