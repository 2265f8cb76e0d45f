/** The one error type every package throws: a stable code, an HTTP status and a retry hint. */

export type ErrorStatus =
  | 400
  | 401
  | 403
  | 404
  | 409
  | 413
  | 415
  | 422
  | 429
  | 500
  | 502
  | 503
  | 504;

export interface AppErrorOptions {
  /** Whether running the same operation again can succeed (timeouts, a dependency down). */
  retryable?: boolean;
  /** Extra response headers (Retry-After, RateLimit-*) the HTTP layer should send. */
  headers?: Record<string, string>;
  /** Structured detail safe to show to the caller (e.g. which field failed validation). */
  details?: unknown;
  cause?: unknown;
}

export class AppError extends Error {
  readonly code: string;
  readonly status: ErrorStatus;
  readonly retryable: boolean;
  readonly headers: Record<string, string>;
  readonly details: unknown;

  constructor(code: string, message: string, status: ErrorStatus, options: AppErrorOptions = {}) {
    super(message, { cause: options.cause });
    this.name = "AppError";
    this.code = code;
    this.status = status;
    this.retryable = options.retryable ?? status >= 500;
    this.headers = options.headers ?? {};
    this.details = options.details;
  }

  toJSON(): { error: { code: string; message: string; details?: unknown } } {
    const body: { code: string; message: string; details?: unknown } = {
      code: this.code,
      message: this.message,
    };
    if (this.details !== undefined) body.details = this.details;
    return { error: body };
  }
}

export const badRequest = (message: string, details?: unknown) =>
  new AppError("validation_failed", message, 400, { details });
export const unauthorized = (message = "Authentication required") =>
  new AppError("unauthorized", message, 401);
export const forbidden = (message = "Your role does not allow this") =>
  new AppError("forbidden", message, 403);
export const notFound = (what: string) => new AppError("not_found", `${what} not found`, 404);
export const conflict = (message: string) => new AppError("conflict", message, 409);
export const unavailable = (dependency: string, cause?: unknown) =>
  new AppError("dependency_unavailable", `${dependency} is unavailable`, 503, {
    retryable: true,
    cause,
  });

export function isAppError(error: unknown): error is AppError {
  return error instanceof AppError;
}

/**
 * Whether retrying can help: app errors say so themselves, unknown errors are assumed transient.
 */
export function isRetryable(error: unknown): boolean {
  return isAppError(error) ? error.retryable : true;
}
