/** Turns AWS SDK failures into AppErrors with the status a caller of the store should see. */

import { AppError } from "@crpipeline/errors";
import type { S3Operation } from "@crpipeline/telemetry";

/** What the SDK puts on its errors (service exceptions and wrapped network errors alike). */
interface SdkError {
  name?: string;
  code?: string;
  message?: string;
  $fault?: "client" | "server";
  $metadata?: { httpStatusCode?: number };
}

// Socket-level failures: the server is down, restarting or unreachable. Retrying later can help.
const NETWORK_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ECONNABORTED",
  "ETIMEDOUT",
  "EPIPE",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ConnectionRefused",
]);
const TRANSIENT_NAMES = new Set([
  "TimeoutError",
  "RequestTimeout",
  "RequestTimeoutException",
  "SlowDown",
  "ServiceUnavailable",
  "InternalError",
  "ThrottlingException",
]);
const CREDENTIAL_NAMES = new Set([
  "AccessDenied",
  "InvalidAccessKeyId",
  "SignatureDoesNotMatch",
  "CredentialsProviderError",
]);

function describe(error: SdkError): string {
  return error.code ?? error.name ?? "Error";
}

export function statusOf(error: unknown): number | undefined {
  return (error as SdkError)?.$metadata?.httpStatusCode;
}

/**
 * A "does not exist" answer. HEAD responses carry no body, so S3 can only say `NotFound` with a
 * 404; GET says `NoSuchKey`. A missing bucket (`NoSuchBucket`) is a misconfiguration, not this.
 */
export function isNotFound(error: unknown): boolean {
  const name = (error as SdkError)?.name;
  if (name === "NoSuchBucket") return false;
  return name === "NoSuchKey" || name === "NotFound" || statusOf(error) === 404;
}

/** The AppError a failed S3 call becomes; `bucket` only makes the messages precise. */
export function toStorageError(operation: S3Operation, error: unknown, bucket: string): AppError {
  const sdk = (error ?? {}) as SdkError;
  const status = statusOf(error);
  const what = describe(sdk);

  if (
    NETWORK_CODES.has(sdk.code ?? "") ||
    TRANSIENT_NAMES.has(sdk.name ?? "") ||
    (status !== undefined && status >= 500)
  ) {
    return new AppError(
      "storage_unavailable",
      `Object storage is unavailable (${operation}: ${what})`,
      503,
      { retryable: true, cause: error },
    );
  }
  if (sdk.name === "NoSuchBucket") {
    return new AppError("storage_misconfigured", `Bucket "${bucket}" does not exist`, 502, {
      retryable: false,
      cause: error,
    });
  }
  if (CREDENTIAL_NAMES.has(sdk.name ?? "") || status === 401 || status === 403) {
    return new AppError(
      "storage_rejected",
      `Object storage refused the request (${operation}: ${what}); check the S3 credentials`,
      502,
      { retryable: false, cause: error },
    );
  }
  if (status !== undefined) {
    return new AppError(
      "storage_error",
      `Object storage answered ${status} (${operation}: ${what}: ${sdk.message ?? ""})`,
      502,
      { retryable: false, cause: error },
    );
  }
  return new AppError(
    "storage_error",
    `Object storage call failed (${operation}: ${what}: ${sdk.message ?? "unknown error"})`,
    500,
    { retryable: false, cause: error },
  );
}
