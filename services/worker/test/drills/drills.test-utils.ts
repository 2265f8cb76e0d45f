/**
 * Fault-drill helpers: an HTTP client of the API, a holdable AI endpoint, cleanup and summaries.
 */

import { join } from "node:path";
import { waitFor } from "@crpipeline/testing";
import { REPO_ROOT } from "./processes.test-utils.ts";

export * from "./instances.test-utils.ts";
export * from "./processes.test-utils.ts";

export const ADMIN = {
  ADMIN_EMAIL: "drill-admin@example.test",
  ADMIN_PASSWORD: "drill-password-1",
  ADMIN_ORG: "drill-org",
} as const;

export const fixture = (name: string) =>
  Bun.file(join(REPO_ROOT, "packages/ocr/fixtures", name)).bytes();

/** Undo steps run last-registered-first, each even when an earlier one threw. */
export class Cleanup {
  private steps: (() => unknown)[] = [];

  add(step: () => unknown): void {
    this.steps.push(step);
  }

  async run(): Promise<void> {
    const errors: unknown[] = [];
    for (const step of this.steps.splice(0).reverse()) {
      try {
        await step();
      } catch (error) {
        errors.push(error);
      }
    }
    if (errors.length > 0) throw new AggregateError(errors, "drill cleanup failed");
  }
}

/** The one line each drill prints, so a run reads as a report of what was lost. */
export function report(drill: string, line: string): void {
  console.log(`drill ${drill}: ${line}`);
}

export interface Reply<T = unknown> {
  status: number;
  body: T;
  headers: Headers;
}

export interface ApiClient {
  url: string;
  call<T = Record<string, unknown>>(
    method: string,
    path: string,
    body?: unknown,
  ): Promise<Reply<T>>;
  upload(
    name: string,
    bytes: Uint8Array | string,
    pipelineId?: string,
  ): Promise<Reply<UploadBody & ErrorBody>>;
}

export interface ErrorBody {
  error?: { code: string; message: string };
}

export interface UploadBody {
  document?: { id: string; name: string; size: number };
  job?: { id: string; status: string };
}

async function reply<T>(response: Response): Promise<Reply<T>> {
  const text = await response.text();
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    // not JSON: keep the text, the assertion shows it
  }
  return { status: response.status, body: body as T, headers: response.headers };
}

/** An API client holding a session token (or none). */
export function apiClient(url: string, token?: string): ApiClient {
  const auth: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
  return {
    url,
    async call(method, path, body) {
      const response = await fetch(`${url}${path}`, {
        method,
        headers: body === undefined ? auth : { ...auth, "content-type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return reply(response);
    },
    async upload(name, bytes, pipelineId) {
      const form = new FormData();
      if (pipelineId) form.append("pipelineId", pipelineId);
      form.append("file", new Blob([bytes]), name);
      const response = await fetch(`${url}/api/documents`, {
        method: "POST",
        headers: auth,
        body: form,
      });
      return reply(response);
    },
  };
}

/** Logs in as the bootstrapped admin and returns a client with the session. */
export async function loginAsAdmin(url: string): Promise<ApiClient> {
  const login = await apiClient(url).call<{ token: string }>("POST", "/api/auth/login", {
    email: ADMIN.ADMIN_EMAIL,
    password: ADMIN.ADMIN_PASSWORD,
  });
  if (login.status !== 200) throw new Error(`admin login: ${login.status} ${String(login.body)}`);
  return apiClient(url, login.body.token);
}

export async function createPipeline(api: ApiClient, stages: unknown[]): Promise<string> {
  const created = await api.call<{ pipeline: { id: string } }>("POST", "/api/pipelines", {
    name: `drill-${crypto.randomUUID().slice(0, 8)}`,
    stages,
  });
  if (created.status !== 201) {
    throw new Error(`pipeline: ${created.status} ${JSON.stringify(created.body)}`);
  }
  return created.body.pipeline.id;
}

/** Waits until `/readyz` answers `status`; returns its body. */
export async function waitForReadiness(url: string, status: 200 | 503, timeoutMs = 20_000) {
  return waitFor(
    async () => {
      const response = await fetch(`${url}/readyz`);
      const body = (await response.json()) as { checks: Record<string, string> };
      return response.status === status ? body : null;
    },
    { timeoutMs, intervalMs: 100, what: `/readyz ${status}` },
  );
}

export interface HeldAi {
  /** AI_API_URL for the services. */
  url: string;
  apiKey: string;
  received(): number;
  /** Requests whose prompt contains `text` (a document's name): how often one job's stage ran. */
  receivedFor(text: string): number;
  /** Answers wait until `release` from now on. */
  hold(): void;
  release(): void;
  stop(): Promise<void>;
}

/**
 * An OpenAI-compatible chat-completions endpoint (the one paid service a drill may stand in
 * for) that can keep a request waiting: a job caught there is reliably "mid-stage".
 */
export function heldAi(): HeldAi {
  const apiKey = `sk-drill-${crypto.randomUUID()}`;
  let received = 0;
  const prompts: string[] = [];
  let gate: { promise: Promise<void>; open: () => void } | undefined;

  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    idleTimeout: 0,
    async fetch(request) {
      if (request.headers.get("authorization") !== `Bearer ${apiKey}`) {
        return Response.json({ error: { message: "bad key" } }, { status: 401 });
      }
      const body = (await request.json()) as {
        model?: string;
        messages?: { content?: string }[];
      };
      received += 1;
      prompts.push((body.messages ?? []).map((message) => message.content ?? "").join("\n"));
      if (gate) await gate.promise;
      return Response.json({
        id: `chatcmpl-${received}`,
        object: "chat.completion",
        created: Math.floor(Date.now() / 1000),
        model: body.model ?? "drill",
        choices: [
          { index: 0, message: { role: "assistant", content: "summary" }, finish_reason: "stop" },
        ],
        usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
      });
    },
  });

  const release = () => {
    gate?.open();
    gate = undefined;
  };
  return {
    url: `http://127.0.0.1:${server.port}/v1`,
    apiKey,
    received: () => received,
    receivedFor: (text) => prompts.filter((prompt) => prompt.includes(text)).length,
    hold() {
      if (gate) return;
      let open = () => {};
      const promise = new Promise<void>((resolve) => {
        open = resolve;
      });
      gate = { promise, open };
    },
    release,
    async stop() {
      release();
      await server.stop(true);
    },
  };
}
