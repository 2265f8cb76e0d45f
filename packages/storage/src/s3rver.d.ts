// Types for the parts of s3rver 3.7.1 (which ships none) that the embedded server uses.
declare module "s3rver" {
  interface S3rverOptions {
    address?: string;
    port?: number;
    silent?: boolean;
    directory?: string;
    resetOnClose?: boolean;
    allowMismatchedSignatures?: boolean;
    vhostBuckets?: boolean;
    serviceEndpoint?: string;
    configureBuckets?: { name: string; configs?: (string | Uint8Array)[] }[];
  }

  /** A Koa application; `callback()` is its `(req, res)` request listener. */
  export default class S3rver {
    constructor(options?: S3rverOptions);
    callback(): (
      req: import("node:http").IncomingMessage,
      res: import("node:http").ServerResponse,
    ) => void;
    on(event: "error", listener: (error: Error & { status?: number; code?: string }) => void): this;
    /** The object store behind every route (read from the Koa context on each request). */
    store: import("s3rver/lib/stores/filesystem.js").default;
    readonly context: { store: import("s3rver/lib/stores/filesystem.js").default };
  }
}

declare module "s3rver/lib/models/object.js" {
  export default class S3Object {
    constructor(bucket: string, key: string, content: null, metadata: Record<string, string>);
  }
}

declare module "s3rver/lib/stores/filesystem.js" {
  import type S3Object from "s3rver/lib/models/object.js";

  export interface ListOptions {
    delimiter?: string;
    startAfter?: string;
    prefix?: string;
    maxKeys?: number;
  }

  export interface ListResult {
    objects: S3Object[];
    commonPrefixes: string[];
    isTruncated: boolean;
  }

  export default class FilesystemStore {
    constructor(rootDirectory: string);
    static decodeKeyPath(keyPath: string): string;
    getBucketPath(bucket: string): string;
    getMetadata(bucket: string, key: string): Promise<Record<string, string>>;
    listObjects(bucket: string, options: ListOptions): Promise<ListResult>;
  }
}
