/** The object store's public shapes. */

export type PutBody = ReadableStream<Uint8Array> | Uint8Array | string;

export interface PutOptions {
  contentType: string;
  /** When known, the body is sent in one streamed PutObject; otherwise multipart. */
  contentLength?: number;
}

export interface PutResult {
  size: number;
  etag?: string;
}

export interface ObjectMeta {
  key: string;
  size: number;
  contentType: string;
  etag?: string;
  lastModified?: Date;
}

export interface GetResult {
  /** Not buffered; a failure while reading it is a 503 `storage_unavailable` AppError. */
  body: ReadableStream<Uint8Array>;
  contentType: string;
  size: number;
  etag?: string;
}

export interface ListedObject {
  key: string;
  size: number;
  etag?: string;
  lastModified?: Date;
}

export interface PresignOptions {
  /** Seconds, 1 to 604800 (seven days, S3's limit). */
  expiresIn: number;
  /** Makes the download an attachment with this name (Content-Disposition). */
  filename?: string;
}

/**
 * Every failed S3 call rejects with an AppError (503 `storage_unavailable` when S3 is down or
 * slow, 502 when it refuses, 400 for a bad key) and counts once in `s3_errors_total`. A missing
 * object is an answer, not a failure: `get` rejects with 404 `not_found` and `head` resolves
 * null, and neither counts.
 */
export interface ObjectStore {
  readonly bucket: string;
  put(key: string, body: PutBody, options: PutOptions): Promise<PutResult>;
  get(key: string): Promise<GetResult>;
  getBytes(key: string): Promise<Uint8Array>;
  head(key: string): Promise<ObjectMeta | null>;
  /** Deleting a missing key succeeds (S3 semantics). */
  delete(key: string): Promise<void>;
  /**
   * Deletes an object that must not outlive a failed write (say, an upload whose row was never
   * made): one attempt now and, while S3 is unavailable, retries in the background until the
   * store closes. Never rejects. A PUT cut off by an outage may still have stored the object.
   */
  discard(key: string): Promise<void>;
  /** Deletes every object under a non-empty prefix; resolves with how many there were. */
  deletePrefix(prefix: string): Promise<number>;
  list(prefix: string): Promise<ListedObject[]>;
  presignGet(key: string, options: PresignOptions): Promise<string>;
  /** Creates the bucket when it is missing; safe to call from several processes at once. */
  ensureBucket(): Promise<void>;
  /** For readiness checks: HeadBucket; a failure counts as operation `head`. */
  ping(): Promise<void>;
  close(): void;
}
