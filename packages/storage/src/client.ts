/** Builds the S3 client with the settings every S3-compatible server here needs. */

import { S3Client } from "@aws-sdk/client-s3";
import type { Logger } from "@crpipeline/log";

export interface S3ClientSettings {
  endpoint: string | undefined;
  region: string;
  accessKeyId: string | undefined;
  secretAccessKey: string | undefined;
  /** TCP connect timeout; a dead endpoint must answer within seconds, not minutes. */
  connectionTimeoutMs?: number;
  /** Socket idle timeout during a request (not a bound on a whole long upload). */
  socketTimeoutMs?: number;
  /** Total attempts per call, the first included. */
  maxAttempts?: number;
  logger: Logger;
}

/**
 * The SDK's own log lines (it prints a warning to the console for every failed streaming
 * request when it has no logger). Our store logs each failure once itself, so these are debug.
 */
function sdkLogger(logger: Logger) {
  const write = (...content: unknown[]) =>
    logger.debug({ sdk: content.map((part) => String(part)).join(" ") }, "aws sdk");
  return { trace: write, debug: write, info: write, warn: write, error: write };
}

export function createS3Client(settings: S3ClientSettings): S3Client {
  const credentials =
    settings.accessKeyId && settings.secretAccessKey
      ? { accessKeyId: settings.accessKeyId, secretAccessKey: settings.secretAccessKey }
      : undefined;

  return new S3Client({
    endpoint: settings.endpoint,
    region: settings.region,
    credentials,
    // Path-style URLs: s3rver and MinIO do not resolve bucket sub-domains of 127.0.0.1.
    forcePathStyle: true,
    // The default flexible checksums send bodies aws-chunked with a trailer; s3rver (and other
    // S3-compatible servers) store that framing as object bytes. Only checksum when S3 requires.
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
    logger: sdkLogger(settings.logger),
    maxAttempts: settings.maxAttempts ?? 2,
    retryMode: "standard",
    requestHandler: {
      connectionTimeout: settings.connectionTimeoutMs ?? 2_000,
      // Idle time on the socket, so a long upload that keeps moving is never cut. (This handler's
      // `requestTimeout` only logs a warning unless told to throw, and bounds the whole call.)
      socketTimeout: settings.socketTimeoutMs ?? 10_000,
    },
  });
}
