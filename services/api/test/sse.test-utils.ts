/** Reads a Server-Sent Events response event by event, with a deadline per event. */

export interface SseEvent {
  id?: string;
  event: string;
  data: Record<string, unknown>;
}

export interface SseReader {
  /** The next event; rejects after `timeoutMs`, or when the stream ends first. */
  next(timeoutMs?: number): Promise<SseEvent>;
  /** Resolves true once the server ended the stream (false if it is still open after the wait). */
  ended(timeoutMs?: number): Promise<boolean>;
  close(): Promise<void>;
}

export function readSse(response: Response): SseReader {
  if (!response.body) throw new Error("the SSE response has no body");
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  const queue: SseEvent[] = [];
  let buffer = "";
  let done = false;
  let pending: Promise<void> | undefined;

  const parseBlock = (block: string) => {
    const event: SseEvent = { event: "message", data: {} };
    const data: string[] = [];
    for (const line of block.split("\n")) {
      if (line.startsWith(":") || line === "") continue;
      const colon = line.indexOf(":");
      const field = colon === -1 ? line : line.slice(0, colon);
      const value = colon === -1 ? "" : line.slice(colon + 1).replace(/^ /, "");
      if (field === "event") event.event = value;
      else if (field === "id") event.id = value;
      else if (field === "data") data.push(value);
    }
    if (data.length === 0) return; // e.g. the `retry:` preamble
    event.data = JSON.parse(data.join("\n"));
    queue.push(event);
  };

  // One read at a time; a read that outlives a deadline is picked up by the next call.
  const readMore = () => {
    pending ??= reader.read().then(({ value, done: finished }) => {
      pending = undefined;
      if (finished) {
        done = true;
        return;
      }
      buffer += decoder.decode(value, { stream: true });
      let split = buffer.indexOf("\n\n");
      while (split !== -1) {
        parseBlock(buffer.slice(0, split));
        buffer = buffer.slice(split + 2);
        split = buffer.indexOf("\n\n");
      }
    });
    return pending;
  };

  const waitUntil = async (ready: () => boolean, timeoutMs: number) => {
    const deadline = Date.now() + timeoutMs;
    while (!ready() && !done) {
      const left = deadline - Date.now();
      if (left <= 0) return;
      let timer: Timer | undefined;
      await Promise.race([
        readMore(),
        new Promise((resolve) => {
          timer = setTimeout(resolve, left);
        }),
      ]);
      clearTimeout(timer);
    }
  };

  return {
    async next(timeoutMs = 5000) {
      await waitUntil(() => queue.length > 0, timeoutMs);
      const event = queue.shift();
      if (event) return event;
      throw new Error(done ? "the SSE stream ended" : `no SSE event within ${timeoutMs} ms`);
    },
    async ended(timeoutMs = 5000) {
      await waitUntil(() => false, timeoutMs);
      return done;
    },
    async close() {
      await reader.cancel().catch(() => {});
    },
  };
}
