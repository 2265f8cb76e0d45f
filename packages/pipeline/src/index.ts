/** Pipeline and stage definitions: one schema, used by the API on write and the worker on run. */

import { AppError } from "@crpipeline/errors";
import { z } from "zod";
import { type CaptureGroups, captureGroups, groupProblem } from "./regex.ts";

export { type CaptureGroups, captureGroups, groupProblem, normaliseGroup } from "./regex.ts";

const MAX_PATTERN = 500;

/** A regex source that compiles; named groups allowed. Length-capped to bound compile cost. */
const regexSource = z
  .string()
  .min(1)
  .max(MAX_PATTERN)
  .refine(
    (source) => {
      try {
        new RegExp(source);
        return true;
      } catch {
        return false;
      }
    },
    { message: "is not a valid regular expression" },
  );

const regexRule = z
  .strictObject({
    name: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "must be an identifier"),
    pattern: regexSource,
    flags: z
      .string()
      .regex(/^[imsu]*$/, "may only contain i, m, s, u")
      .refine((flags) => new Set(flags).size === flags.length, "may not repeat a flag")
      .optional(),
    /** Capture group to return: a number or a named group; default the whole match. */
    group: z.union([z.number().int().min(0).max(99), z.string().min(1)]).optional(),
  })
  .superRefine((rule, ctx) => {
    let groups: CaptureGroups;
    try {
      groups = captureGroups(rule.pattern, rule.flags);
    } catch {
      // Without flags regexSource has already said the pattern does not compile.
      if (rule.flags) {
        const message = `is not a valid regular expression with flags "${rule.flags}"`;
        ctx.addIssue({ code: "custom", path: ["pattern"], message });
      }
      return;
    }
    const problem = rule.group === undefined ? null : groupProblem(rule.group, groups);
    if (problem) ctx.addIssue({ code: "custom", path: ["group"], message: problem });
  });

export const ocrStageSchema = z.strictObject({
  type: z.literal("ocr"),
  engine: z.enum(["tesseract.js", "tesseract", "external"]).default("tesseract.js"),
  languages: z
    .array(z.string().regex(/^[a-z]{3}(_[a-z]+)?$/, "must be a tesseract language code like eng"))
    .min(1)
    .max(5)
    .default(["eng"]),
  dpi: z.number().int().min(72).max(600).default(200),
  /** Required for the `external` engine: the OCR service's URL. */
  endpoint: z.url({ protocol: /^https?$/ }).optional(),
  /** Name of an org secret (settings.secrets) sent as the external service's bearer key. */
  apiKeyRef: z.string().min(1).max(100).optional(),
});

export const aiStageSchema = z.strictObject({
  type: z.literal("ai"),
  prompt: z.string().min(1).max(20_000).optional(),
  promptName: z.string().min(1).max(100).optional(),
  model: z.string().min(1).max(200).optional(),
  json: z.boolean().default(false),
  timeoutMs: z.number().int().min(1000).max(600_000).default(60_000),
  maxRetries: z.number().int().min(0).max(10).default(3),
});

export const parseStageSchema = z.strictObject({
  type: z.literal("parse"),
  keywords: z.array(z.string().min(1).max(200)).max(200).optional(),
  regex: z.array(regexRule).max(50).optional(),
  table: z
    .strictObject({
      headerKeywords: z.array(z.string().min(1)).min(1).max(50),
      stopKeywords: z.array(z.string().min(1)).max(50).default([]),
      delimiter: z.string().min(1).max(5).optional(),
      numericSummary: z.boolean().default(true),
    })
    .optional(),
  lines: z
    .strictObject({
      match: regexSource.optional(),
      limit: z.number().int().min(1).max(100_000).default(1000),
    })
    .optional(),
});

export const reportStageSchema = z.strictObject({
  type: z.literal("report"),
  title: z.string().min(1).max(200).optional(),
  /** Markdown with {{placeholders}}; a built-in template when absent. */
  template: z.string().min(1).max(100_000).optional(),
});

export const stageSchema = z
  .discriminatedUnion("type", [ocrStageSchema, aiStageSchema, parseStageSchema, reportStageSchema])
  .superRefine((stage, ctx) => {
    if (stage.type === "ocr" && stage.engine === "external" && !stage.endpoint) {
      ctx.addIssue({
        code: "custom",
        path: ["endpoint"],
        message: "is required for engine external",
      });
    }
    if (stage.type === "ai" && Boolean(stage.prompt) === Boolean(stage.promptName)) {
      ctx.addIssue({
        code: "custom",
        path: ["prompt"],
        message: "give exactly one of prompt, promptName",
      });
    }
    if (stage.type === "parse" && !stage.keywords && !stage.regex && !stage.table && !stage.lines) {
      ctx.addIssue({
        code: "custom",
        path: [],
        message: "needs at least one of keywords, regex, table, lines",
      });
    }
  });

export const pipelineSchema = z.strictObject({
  name: z.string().trim().min(1).max(100),
  description: z.string().max(1000).optional(),
  stages: z.array(stageSchema).min(1).max(20),
});

export type OcrStage = z.output<typeof ocrStageSchema>;
export type AiStage = z.output<typeof aiStageSchema>;
export type ParseStage = z.output<typeof parseStageSchema>;
export type ReportStage = z.output<typeof reportStageSchema>;
export type Stage = z.output<typeof stageSchema>;
export type StageType = Stage["type"];
export type PipelineDefinition = z.output<typeof pipelineSchema>;

/** `stages[1].engine: Invalid option…` — the path in the body, then what is wrong. */
export function describeIssues(error: z.ZodError): string[] {
  return error.issues.map((issue) => {
    const path = issue.path
      .map((part, i) =>
        typeof part === "number" ? `[${part}]` : i === 0 ? String(part) : `.${String(part)}`,
      )
      .join("");
    return path ? `${path}: ${issue.message}` : issue.message;
  });
}

/** Validates with a schema or throws a 400 listing every problem with its path. */
export function validate<S extends z.ZodType>(
  schema: S,
  input: unknown,
  what: string,
): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const problems = describeIssues(result.error);
  throw new AppError("validation_failed", `Invalid ${what}: ${problems.join("; ")}`, 400, {
    details: problems,
  });
}

export const parsePipeline = (input: unknown) => validate(pipelineSchema, input, "pipeline");
export const parseStage = (input: unknown) => validate(stageSchema, input, "stage");
