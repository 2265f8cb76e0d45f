/** The workload side of the live-system test: a small crPipeline API client and a failing AI. */

import { waitFor } from "@crpipeline/testing";

export interface JobView {
  id: string;
  status: "queued" | "running" | "succeeded" | "failed" | "canceled";
  attempts: number;
  error: string | null;
  startedAt: string | null;
  finishedAt: string | null;
}

const FINAL = new Set(["succeeded", "failed", "canceled"]);

export async function login(base: string, email: string, password: string): Promise<Response> {
  return fetch(`${base}/api/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email, password }),
  });
}

/** A request body the login route cannot read (counted as `invalid_request`). */
export async function malformedLogin(base: string): Promise<Response> {
  return fetch(`${base}/api/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: "{not json",
  });
}

export function apiClient(base: string, token: string) {
  const auth = { authorization: `Bearer ${token}` };

  async function json<T>(response: Response, expected: number): Promise<T> {
    const text = await response.text();
    if (response.status !== expected) {
      throw new Error(`${response.url}: ${response.status} (expected ${expected}): ${text}`);
    }
    return JSON.parse(text) as T;
  }

  return {
    async createPipeline(name: string, stages: unknown[]): Promise<string> {
      const response = await fetch(`${base}/api/pipelines`, {
        method: "POST",
        headers: { ...auth, "content-type": "application/json" },
        body: JSON.stringify({ name, stages }),
      });
      return (await json<{ pipeline: { id: string } }>(response, 201)).pipeline.id;
    },

    /** Uploads a file, starting a job when `pipelineId` is given; the raw response. */
    upload(file: Blob, name: string, pipelineId?: string): Promise<Response> {
      const form = new FormData();
      // Before the file: the route reads fields in order while streaming the file to S3.
      if (pipelineId) form.append("pipelineId", pipelineId);
      form.append("file", file, name);
      return fetch(`${base}/api/documents`, { method: "POST", headers: auth, body: form });
    },

    /** Uploads and returns the id of the job the upload started. */
    async uploadForJob(file: Blob, name: string, pipelineId: string): Promise<string> {
      const answer = await json<{ job?: { id: string } }>(
        await this.upload(file, name, pipelineId),
        201,
      );
      if (!answer.job) throw new Error(`upload of ${name} started no job`);
      return answer.job.id;
    },

    async job(id: string): Promise<JobView> {
      const response = await fetch(`${base}/api/jobs/${id}`, { headers: auth });
      return (await json<{ job: JobView }>(response, 200)).job;
    },

    /** Polls the API until every job is in a final state; returns them as the API reports. */
    async waitForFinalStates(ids: string[], timeoutMs: number): Promise<JobView[]> {
      return waitFor(
        async () => {
          const jobs = await Promise.all(ids.map((id) => this.job(id)));
          return jobs.every((job) => FINAL.has(job.status)) ? jobs : undefined;
        },
        { timeoutMs, intervalMs: 250, what: `${ids.length} jobs in a final state` },
      );
    },
  };
}

export interface FailingAi {
  /** Base URL as AI_API_URL takes it: `http://127.0.0.1:<port>/v1`. */
  url: string;
  /** Chat-completion requests answered (with a 500) so far. */
  calls(): number;
  stop(): Promise<void>;
}

/** An OpenAI-compatible endpoint whose chat completions always fail with a server error. */
export function startFailingAi(): FailingAi {
  let calls = 0;
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch(request) {
      if (request.method !== "POST" || !request.url.endsWith("/v1/chat/completions")) {
        return Response.json({ error: { message: "not found" } }, { status: 404 });
      }
      calls += 1;
      return Response.json(
        { error: { message: "The server had an error while processing your request" } },
        { status: 500 },
      );
    },
  });
  return {
    url: `http://127.0.0.1:${server.port}/v1`,
    calls: () => calls,
    stop: () => server.stop(true),
  };
}
