/** Turns anything thrown in a request into `{ error: { code, message } }` with the right status. */

import { AppError, isAppError } from "@crpipeline/errors";
import type { Logger } from "@crpipeline/log";
import { ValidationError } from "elysia";

interface ValidationIssue {
  path?: string;
  message?: string;
}

function validationMessage(error: ValidationError): { message: string; details: string[] } {
  const issues = (error.all ?? []) as ValidationIssue[];
  const details = issues.map((issue) => {
    const path = (issue.path ?? "").replace(/^\//, "").replaceAll("/", ".");
    return path ? `${path}: ${issue.message}` : String(issue.message);
  });
  return { message: `Invalid request: ${details.join("; ") || error.message}`, details };
}

/** Maps Elysia's own error codes and our AppErrors onto the API's error shape. */
export function toAppError(code: string | number, error: unknown, logger: Logger): AppError {
  if (isAppError(error)) return error;
  if (error instanceof ValidationError) {
    const { message, details } = validationMessage(error);
    return new AppError("validation_failed", message, 400, { details });
  }
  switch (code) {
    case "PARSE":
      // Elysia wraps whatever a parse hook throws; our own refusals (a body over the limit)
      // keep their code and status.
      if (error instanceof Error && isAppError(error.cause)) return error.cause;
      return new AppError("malformed_body", "The request body is not valid JSON", 400);
    case "NOT_FOUND":
      return new AppError("not_found", "No such route", 404);
    case "INVALID_COOKIE_SIGNATURE":
      return new AppError("unauthorized", "Invalid session cookie", 401);
  }
  const status = (error as { status?: number })?.status;
  if (status === 413) return new AppError("too_large", "Request body too large", 413);
  logger.error({ error, code }, "unhandled error");
  return new AppError("internal", "Internal server error", 500);
}

export function errorResponse(error: AppError): Response {
  return Response.json(error.toJSON(), { status: error.status, headers: error.headers });
}
