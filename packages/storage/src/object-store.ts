/** The object store: every S3 call of crPipeline, with its errors counted and made AppErrors. */

import {
  CreateBucketCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  type GetObjectCommandOutput,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsCommand,
} from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import type { Config } from "@crpipeline/config";
import { AppError, isAppError, notFound } from "@crpipeline/errors";
import type { Logger } from "@crpipeline/log";
import type { Metrics, S3Operation } from "@crpipeline/telemetry";
import { collect, guardDownload, meterBody } from "./body.ts";
import { createS3Client, type S3ClientSettings } from "./client.ts";
import { createDiscardQueue } from "./discard.ts";
import { contentDisposition } from "./disposition.ts";
import { isNotFound, statusOf, toStorageError } from "./errors.ts";
import { assertValidKey, assertValidPrefix } from "./keys.ts";
import { listAllPages, unquote } from "./listing.ts";
import type { ObjectMeta, ObjectStore, PutOptions } from "./types.ts";
import { sendStream } from "./upload.ts";

export type StorageConfig = Pick<
  Config,
  "s3Endpoint" | "s3Bucket" | "s3Region" | "awsAccessKeyId" | "awsSecretAccessKey" | "dataDir"
>;

export interface ObjectStoreDeps {
  config: StorageConfig;
  metrics: Metrics;
  logger: Logger;
  /** Overrides of the client's timeouts and attempts (tests, benchmarks). */
  client?: Pick<S3ClientSettings, "connectionTimeoutMs" | "socketTimeoutMs" | "maxAttempts">;
  /** Keys asked for per list request; S3 caps it (and defaults it) at 1000. */
  listPageSize?: number;
}

// S3 refuses presigned URLs valid for longer than seven days.
const MAX_PRESIGN_SECONDS = 7 * 24 * 3600;
const DELETE_BATCH = 1000;

export function createObjectStore({
  config,
  metrics,
  logger,
  client: tuning,
  listPageSize = 1000,
}: ObjectStoreDeps): ObjectStore {
  const bucket = config.s3Bucket;
  const log = logger.child("storage");
  const client = createS3Client({
    endpoint: config.s3Endpoint,
    region: config.s3Region,
    accessKeyId: config.awsAccessKeyId,
    secretAccessKey: config.awsSecretAccessKey,
    logger: log,
    ...tuning,
  });

  /** Counts one failed call and describes it; every failure path goes through here once. */
  const failed = (operation: S3Operation, error: unknown, key?: string): AppError => {
    metrics.s3Error(operation);
    const appError = toStorageError(operation, error, bucket);
    log.warn(
      { operation, bucket, key, code: appError.code, status: statusOf(error), error },
      "S3 call failed",
    );
    return appError;
  };

  const attempt = async <T>(
    operation: S3Operation,
    key: string | undefined,
    run: () => Promise<T>,
  ) => {
    try {
      return await run();
    } catch (error) {
      throw failed(operation, error, key);
    }
  };

  const headBucket = () => client.send(new HeadBucketCommand({ Bucket: bucket }));

  const discards = createDiscardQueue({ remove: (key) => store.delete(key), logger: log });

  const store: ObjectStore = {
    bucket,

    async put(key, body, options: PutOptions) {
      assertValidKey(key);
      if (typeof body === "string" || body instanceof Uint8Array) {
        const bytes = typeof body === "string" ? new TextEncoder().encode(body) : body;
        const etag = await attempt("put", key, () =>
          sendStream({ client, bucket, key, body: bytes, ...options, contentLength: bytes.length }),
        );
        return { size: bytes.byteLength, etag: unquote(etag) };
      }

      const metered = meterBody(body, options.contentLength);
      try {
        const etag = await sendStream({
          client,
          bucket,
          key,
          body: metered.stream,
          contentType: options.contentType,
          contentLength: options.contentLength,
        });
        return { size: metered.bytes(), etag: unquote(etag) };
      } catch (error) {
        metered.release(error);
        // The caller's stream failed (size limit, client went away): their error, not S3's.
        const own = metered.sourceError();
        if (own !== undefined) {
          throw isAppError(own)
            ? own
            : new AppError("upload_aborted", `The upload body failed: ${String(own)}`, 400, {
                cause: own,
              });
        }
        throw failed("put", error, key);
      }
    },

    async get(key) {
      assertValidKey(key);
      let out: GetObjectCommandOutput;
      try {
        out = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      } catch (error) {
        // A missing object is an answer, not a storage failure: not counted.
        if (isNotFound(error)) throw notFound(`Object ${key}`);
        throw failed("get", error, key);
      }
      if (!out.Body) throw failed("get", new Error("response without a body"), key);
      const body = guardDownload(out.Body.transformToWebStream(), (e) => failed("get", e, key));
      return {
        body,
        contentType: out.ContentType ?? "application/octet-stream",
        size: out.ContentLength ?? 0,
        etag: unquote(out.ETag),
      };
    },

    async getBytes(key) {
      const { body } = await store.get(key);
      return collect(body);
    },

    async head(key) {
      assertValidKey(key);
      try {
        const out = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
        const meta: ObjectMeta = {
          key,
          size: out.ContentLength ?? 0,
          contentType: out.ContentType ?? "application/octet-stream",
          etag: unquote(out.ETag),
          lastModified: out.LastModified,
        };
        return meta;
      } catch (error) {
        // Existence checks use head: a 404 must not count, or ManyS3Errors fires on normal use.
        if (isNotFound(error)) return null;
        throw failed("head", error, key);
      }
    },

    async delete(key) {
      assertValidKey(key);
      await attempt("delete", key, () =>
        client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key })),
      );
    },

    discard: (key) => discards.discard(key),

    async deletePrefix(prefix) {
      assertValidPrefix(prefix);
      const keys = (await store.list(prefix)).map((object) => object.key);
      for (let start = 0; start < keys.length; start += DELETE_BATCH) {
        const batch = keys.slice(start, start + DELETE_BATCH);
        const out = await attempt("delete", prefix, () =>
          client.send(
            new DeleteObjectsCommand({
              Bucket: bucket,
              Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true },
            }),
          ),
        );
        const first = out.Errors?.[0];
        if (first) {
          const error = Object.assign(new Error(first.Message ?? "delete refused"), {
            name: first.Code ?? "DeleteFailed",
            $metadata: { httpStatusCode: 400 },
          });
          throw failed("delete", error, first.Key);
        }
      }
      return keys.length;
    },

    async list(prefix) {
      assertValidPrefix(prefix);
      return listAllPages((marker) =>
        attempt("list", prefix, () =>
          client.send(
            new ListObjectsCommand({
              Bucket: bucket,
              Prefix: prefix,
              Marker: marker,
              MaxKeys: listPageSize,
            }),
          ),
        ),
      );
    },

    async presignGet(key, { expiresIn, filename }) {
      assertValidKey(key);
      if (!Number.isInteger(expiresIn) || expiresIn < 1 || expiresIn > MAX_PRESIGN_SECONDS) {
        throw new AppError(
          "invalid_presign_expiry",
          `expiresIn must be a whole number of seconds from 1 to ${MAX_PRESIGN_SECONDS}`,
          400,
        );
      }
      const command = new GetObjectCommand({
        Bucket: bucket,
        Key: key,
        ResponseContentDisposition:
          filename === undefined ? undefined : contentDisposition(filename),
      });
      return attempt("presign", key, () => getSignedUrl(client, command, { expiresIn }));
    },

    async ensureBucket() {
      try {
        await headBucket();
        return;
      } catch (error) {
        if (statusOf(error) !== 404) throw failed("create_bucket", error);
      }
      try {
        await client.send(new CreateBucketCommand({ Bucket: bucket }));
        log.info({ bucket }, "created bucket");
      } catch (error) {
        // Another process may have created it between our HEAD and CREATE: fine if we can use it.
        const name = (error as Error).name;
        if (name !== "BucketAlreadyOwnedByYou" && name !== "BucketAlreadyExists") {
          throw failed("create_bucket", error);
        }
        await attempt("create_bucket", undefined, headBucket);
      }
    },

    async ping() {
      await attempt("head", undefined, headBucket);
    },

    close() {
      discards.close();
      client.destroy();
    },
  };
  return store;
}
