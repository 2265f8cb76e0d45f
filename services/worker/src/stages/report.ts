/** The report stage: a PDF (`<n>-report.pdf`) and its JSON summary (`<n>-report.json`). */

import type { ReportStage } from "@crpipeline/pipeline";
import { runReportStage } from "@crpipeline/report";
import { documentText, latestAi, latestParsed } from "../job-context.ts";
import { jsonFile, type StageProcessor } from "./types.ts";

export function reportProcessor(): StageProcessor<ReportStage> {
  return {
    async run({ stage, job }) {
      const { document } = job;
      const { pdf, summary } = await runReportStage({
        stage,
        context: {
          document: {
            id: document.id,
            name: document.name,
            contentType: document.contentType,
            size: document.size,
          },
          job: { id: job.job.id },
          pipeline: { name: job.job.pipelineName, stageCount: job.job.stages.length },
          ocr: documentText(job),
          parsed: latestParsed(job),
          ai: latestAi(job),
        },
      });
      return {
        value: { type: "report", summary },
        files: [
          { name: "report-pdf", ext: "pdf", contentType: "application/pdf", body: pdf },
          jsonFile("report-summary", summary),
        ],
      };
    },
  };
}
