/** The shape every stage processor shares: what it is given and what it hands back. */

import type { AiStageOutput } from "@crpipeline/ai";
import type { OcrResult } from "@crpipeline/ocr";
import type { ParseResult } from "@crpipeline/parse";
import type { Stage, StageType } from "@crpipeline/pipeline";
import type { ReportSummary } from "@crpipeline/report";
import type { JobContext } from "../job-context.ts";

/** What a finished stage offers the stages after it. */
export type StageValue =
  | { type: "ocr"; ocr: OcrResult }
  | { type: "parse"; parsed: ParseResult }
  | { type: "ai"; ai: AiStageOutput }
  | { type: "report"; summary: ReportSummary };

/** One file a stage writes; the runner stores it as `<n>-<stage>.<ext>`. */
export interface OutputFile {
  /** The stage output's name, unique within the stage: "ocr", "report-pdf", … */
  name: string;
  ext: string;
  contentType: string;
  body: Uint8Array;
}

export interface StageResult {
  value: StageValue;
  files: OutputFile[];
}

export interface StageRun<S extends Stage> {
  stage: S;
  /** Position in the job's pipeline, from 0. */
  index: number;
  job: JobContext;
  /** Aborted when the lease is lost, the job is canceled or the worker shuts down. */
  signal: AbortSignal;
  /** Progress within this stage, 0..1 (OCR reports it page by page). */
  reportProgress(fraction: number): void;
}

export interface StageProcessor<S extends Stage> {
  run(run: StageRun<S>): Promise<StageResult>;
}

export type Processors = { [T in StageType]: StageProcessor<Extract<Stage, { type: T }>> };

const encoder = new TextEncoder();

export function jsonFile(name: string, value: unknown): OutputFile {
  return {
    name,
    ext: "json",
    contentType: "application/json",
    body: encoder.encode(JSON.stringify(value)),
  };
}
