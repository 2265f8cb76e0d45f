import { expect, test } from "bun:test";
import { AppError } from "@crpipeline/errors";
import { silentLogger } from "@crpipeline/log";
import { waitFor } from "@crpipeline/testing";
import { createDiscardQueue } from "./discard.ts";

const down = () => new AppError("storage_unavailable", "S3 is down", 503, { retryable: true });
const refused = () =>
  new AppError("storage_rejected", "bad credentials", 502, { retryable: false });

/** A delete that fails with `error()` for the first `failures` calls, then succeeds. */
function flakyRemove(failures: number, error: () => AppError) {
  const calls: string[] = [];
  const remove = async (key: string) => {
    calls.push(key);
    if (calls.length <= failures) throw error();
  };
  return { calls, remove };
}

test("a delete that succeeds at once leaves nothing pending", async () => {
  const { calls, remove } = flakyRemove(0, down);
  const queue = createDiscardQueue({ remove, logger: silentLogger });
  await queue.discard("a");
  expect(calls).toEqual(["a"]);
  expect(queue.pending()).toBe(0);
  queue.close();
});

test("while S3 is unavailable the delete is retried until it succeeds, never rejecting", async () => {
  const { calls, remove } = flakyRemove(3, down);
  const queue = createDiscardQueue({ remove, logger: silentLogger, firstRetryMs: 5 });
  await queue.discard("orphan");
  expect(queue.pending()).toBe(1);
  await waitFor(() => calls.length === 4 && queue.pending() === 0, { timeoutMs: 2_000 });
  expect(calls).toEqual(["orphan", "orphan", "orphan", "orphan"]);
  queue.close();
});

test("a refusal is not retried", async () => {
  const { calls, remove } = flakyRemove(5, refused);
  const queue = createDiscardQueue({ remove, logger: silentLogger, firstRetryMs: 5 });
  await queue.discard("k");
  await Bun.sleep(50);
  expect(calls).toEqual(["k"]);
  expect(queue.pending()).toBe(0);
  queue.close();
});

test("close stops the retries, and a key past its deadline is given up", async () => {
  const stopped = flakyRemove(100, down);
  const closing = createDiscardQueue({ remove: stopped.remove, logger: silentLogger });
  await closing.discard("k");
  closing.close();
  expect(closing.pending()).toBe(0);

  const expired = flakyRemove(100, down);
  const queue = createDiscardQueue({
    remove: expired.remove,
    logger: silentLogger,
    firstRetryMs: 5,
    giveUpAfterMs: 30,
  });
  await queue.discard("k");
  await waitFor(() => queue.pending() === 0 && expired.calls.length > 1, { timeoutMs: 2_000 });
  const attempts = expired.calls.length;
  await Bun.sleep(100);
  expect(expired.calls.length).toBe(attempts);
  queue.close();
});
