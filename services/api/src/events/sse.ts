/** Server-Sent Events responses over the event hub, with resume and heartbeats. */

import type { JobEvent } from "@crpipeline/db";
import type { EventHub } from "./hub.ts";

const FINAL = new Set(["succeeded", "failed", "canceled"]);
const HEARTBEAT_MS = 15_000;

export interface SseOptions {
  hub: EventHub;
  orgId: string;
  jobId?: string;
  /** From the Last-Event-ID header: resume after it. Otherwise only new events. */
  lastEventId: number | undefined;
  /** Sent first, as an `event: snapshot` (e.g. the job's current state). */
  snapshot?: unknown;
  /** One job's stream ends after its final status. */
  closeOnFinal?: boolean;
  signal: AbortSignal;
}

const format = (event: JobEvent) =>
  `id: ${event.id}\nevent: ${event.type}\ndata: ${JSON.stringify({
    jobId: event.jobId,
    ...event.payload,
    at: event.createdAt,
  })}\n\n`;

export async function sseResponse(options: SseOptions): Promise<Response> {
  const encoder = new TextEncoder();
  const afterId = options.lastEventId ?? (await options.hub.latestId(options.orgId));
  let cleanup = () => {};

  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      let closed = false;
      const send = (text: string) => {
        if (!closed) controller.enqueue(encoder.encode(text));
      };
      const close = () => {
        if (closed) return;
        closed = true;
        cleanup();
        controller.close();
      };
      send(`retry: 2000\n`);
      if (options.snapshot !== undefined) {
        send(`event: snapshot\ndata: ${JSON.stringify(options.snapshot)}\n\n`);
        const status = (options.snapshot as { status?: string }).status;
        if (options.closeOnFinal && status && FINAL.has(status)) {
          closed = true;
          controller.close();
          return;
        }
      }
      const unsubscribe = options.hub.subscribe(
        options.orgId,
        afterId,
        (event) => {
          send(format(event));
          const status = (event.payload as { status?: string }).status;
          if (options.closeOnFinal && status && FINAL.has(status)) close();
        },
        options.jobId,
      );
      const heartbeat = setInterval(() => send(": keep-alive\n\n"), HEARTBEAT_MS);
      cleanup = () => {
        unsubscribe();
        clearInterval(heartbeat);
      };
      options.signal.addEventListener("abort", close, { once: true });
    },
    cancel() {
      cleanup();
    },
  });

  return new Response(body, {
    headers: {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache",
      connection: "keep-alive",
      "x-accel-buffering": "no",
    },
  });
}
