/** Public JSON shapes of stored rows: what the API shows, never storage keys or secrets. */

import type {
  ApiKey,
  Document,
  JobWithOutputs,
  Organisation,
  Pipeline,
  StageOutput,
  User,
} from "@crpipeline/db";

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export const presentUser = (user: User) => ({
  id: user.id,
  orgId: user.orgId,
  email: user.email,
  name: user.name,
  role: user.role,
  active: user.active,
  createdAt: iso(user.createdAt),
  lastLoginAt: iso(user.lastLoginAt),
});

export const presentOrganisation = (organisation: Organisation) => ({
  ...organisation,
  createdAt: iso(organisation.createdAt),
});

export const presentPipeline = (pipeline: Pipeline) => ({
  ...pipeline,
  createdAt: iso(pipeline.createdAt),
  updatedAt: iso(pipeline.updatedAt),
});

export const presentApiKey = (apiKey: ApiKey) => ({
  ...apiKey,
  createdAt: iso(apiKey.createdAt),
  lastUsedAt: iso(apiKey.lastUsedAt),
  revokedAt: iso(apiKey.revokedAt),
});

export const presentDocument = (document: Document) => ({
  id: document.id,
  name: document.name,
  contentType: document.contentType,
  size: document.size,
  sha256: document.sha256,
  uploadedBy: document.uploadedBy,
  apiKeyId: document.apiKeyId,
  createdAt: iso(document.createdAt),
});

export const presentOutput = (output: StageOutput) => ({
  id: output.id,
  stage: output.stage,
  index: output.index,
  name: output.name,
  contentType: output.contentType,
  size: output.size,
  createdAt: iso(output.createdAt),
});

type JobLike = Omit<JobWithOutputs, "outputs"> & { outputs?: StageOutput[] };

export const presentJob = (job: JobLike) => ({
  id: job.id,
  documentId: job.documentId,
  pipelineId: job.pipelineId,
  pipelineName: job.pipelineName,
  stages: job.stages,
  status: job.status,
  currentStage: job.currentStage,
  progress: job.progress,
  attempts: job.attempts,
  maxAttempts: job.maxAttempts,
  cancelRequested: job.cancelRequested,
  error: job.error,
  createdAt: iso(job.createdAt),
  startedAt: iso(job.startedAt),
  finishedAt: iso(job.finishedAt),
  updatedAt: iso(job.updatedAt),
  ...(job.outputs ? { outputs: job.outputs.map(presentOutput) } : {}),
});

export const presentPage = <T, U>(
  page: { items: T[]; nextCursor: string | null; total: number },
  present: (item: T) => U,
) => ({ items: page.items.map(present), nextCursor: page.nextCursor, total: page.total });
