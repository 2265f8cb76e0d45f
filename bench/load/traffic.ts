/** Virtual users on loopback: a closed loop of mixed uploads and reads for a fixed time. */

import type { KeyPool } from "./seed.ts";

export const KINDS = ["upload", "list", "getJob", "download"] as const;
export type Kind = (typeof KINDS)[number];

/** Share of each kind of request; lists alternate between documents and jobs. */
const MIX: [Kind, number][] = [
  ["upload", 0.2],
  ["list", 0.4],
  ["getJob", 0.2],
  ["download", 0.2],
];

/** A request that takes longer than this is counted as a network error and abandoned. */
const REQUEST_TIMEOUT_MS = 10_000;

export interface Traffic {
  /** Documents and jobs the users read; uploads add to them. */
  documentIds: string[];
  jobIds: string[];
  /** Jobs the uploads of this run created, in order. */
  uploadedJobIds: string[];
}

export interface RoundSamples {
  seconds: number;
  /** Latencies in ms of the answered requests (any status), per kind. */
  latencies: Record<Kind, number[]>;
  /** Status codes other than 2xx and 429, counted per `<kind> <status>`. */
  failures: Record<string, number>;
  rateLimited: number;
  /** Requests that got no answer (connection error or timeout). */
  networkErrors: number;
  /** The first few failures, verbatim, to say what went wrong. */
  examples: string[];
}

export interface RoundOptions {
  url: string;
  pipelineId: string;
  keys: KeyPool;
  traffic: Traffic;
  concurrency: number;
  seconds: number;
  /** Hard cap on requests in the round, whatever the speed. */
  maxRequests: number;
}

const pick = <T>(items: T[]): T | undefined => items[Math.floor(Math.random() * items.length)];

function chooseKind(): Kind {
  let roll = Math.random();
  for (const [kind, share] of MIX) {
    roll -= share;
    if (roll < 0) return kind;
  }
  return "list";
}

let uploadCounter = 0;

function uploadBody(pipelineId: string): FormData {
  uploadCounter += 1;
  const text =
    `Invoice LOAD-${uploadCounter}\nCustomer: load test\n` +
    `Total: ${(uploadCounter % 1000) + 0.5} EUR\nThank you for your order.\n`;
  const form = new FormData();
  form.append("pipelineId", pipelineId);
  form.append("file", new Blob([text], { type: "text/plain" }), `invoice-${uploadCounter}.txt`);
  return form;
}

/** The request for `kind`, or undefined when there is nothing to read yet. */
function requestFor(kind: Kind, options: RoundOptions, key: string): Request | undefined {
  const { url, traffic } = options;
  const headers = { "x-api-key": key };
  const signal = AbortSignal.timeout(REQUEST_TIMEOUT_MS);
  if (kind === "upload") {
    const body = uploadBody(options.pipelineId);
    return new Request(`${url}/api/documents`, { method: "POST", headers, body, signal });
  }
  if (kind === "list") {
    const what = Math.random() < 0.5 ? "documents" : "jobs";
    return new Request(`${url}/api/${what}?limit=20`, { headers, signal });
  }
  const id = kind === "getJob" ? pick(traffic.jobIds) : pick(traffic.documentIds);
  if (!id) return undefined;
  const path = kind === "getJob" ? `/api/jobs/${id}` : `/api/documents/${id}/content`;
  return new Request(`${url}${path}`, { headers, signal });
}

function remember(traffic: Traffic, body: string): void {
  const answer = JSON.parse(body) as { document: { id: string }; job?: { id: string } };
  traffic.documentIds.push(answer.document.id);
  if (answer.job) {
    traffic.jobIds.push(answer.job.id);
    traffic.uploadedJobIds.push(answer.job.id);
  }
}

/** Runs `concurrency` users until `seconds` pass or `maxRequests` were sent; then returns. */
export async function runRound(options: RoundOptions): Promise<RoundSamples> {
  const samples: RoundSamples = {
    seconds: options.seconds,
    latencies: { upload: [], list: [], getJob: [], download: [] },
    failures: {},
    rateLimited: 0,
    networkErrors: 0,
    examples: [],
  };
  const note = (example: string) => {
    if (samples.examples.length < 5) samples.examples.push(example);
  };
  const deadline = performance.now() + options.seconds * 1000;
  let sent = 0;

  const user = async () => {
    while (performance.now() < deadline && sent < options.maxRequests) {
      const key = await options.keys.take();
      const kind = chooseKind();
      const request = requestFor(kind, options, key);
      if (!request) continue;
      sent += 1;
      const started = performance.now();
      try {
        const response = await fetch(request);
        // Read the whole body: a download is only done when its last byte arrived.
        const body = kind === "download" ? await response.arrayBuffer() : await response.text();
        samples.latencies[kind].push(performance.now() - started);
        if (response.status === 429) samples.rateLimited += 1;
        else if (!response.ok) {
          const label = `${kind} ${response.status}`;
          samples.failures[label] = (samples.failures[label] ?? 0) + 1;
          note(`${label}: ${typeof body === "string" ? body.slice(0, 200) : ""}`);
        } else if (kind === "upload") remember(options.traffic, body as string);
      } catch (error) {
        samples.networkErrors += 1;
        note(`${kind}: ${(error as Error).message}`);
      }
    }
  };

  const started = performance.now();
  await Promise.all(Array.from({ length: options.concurrency }, user));
  samples.seconds = (performance.now() - started) / 1000;
  return samples;
}
