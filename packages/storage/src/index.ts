/**
 * Object storage for crPipeline: an S3 client that any S3-compatible server (or the embedded one)
 * serves.
 */

export { contentDisposition } from "./disposition.ts";
export { type EmbeddedS3, type EmbeddedS3Options, startEmbeddedS3 } from "./embedded.ts";
export { assertValidKey, assertValidPrefix } from "./keys.ts";
export {
  createObjectStore,
  type ObjectStoreDeps,
  type StorageConfig,
} from "./object-store.ts";
export { type OpenedStorage, type OpenStorageDeps, openStorage } from "./open.ts";
export type {
  GetResult,
  ListedObject,
  ObjectMeta,
  ObjectStore,
  PresignOptions,
  PutBody,
  PutOptions,
  PutResult,
} from "./types.ts";
