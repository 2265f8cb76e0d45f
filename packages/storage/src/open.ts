/** Opens object storage from the configuration: the given S3 endpoint, or the embedded server. */

import type { Logger } from "@crpipeline/log";
import type { Metrics } from "@crpipeline/telemetry";
import { type EmbeddedS3, startEmbeddedS3 } from "./embedded.ts";
import { createObjectStore, type ObjectStoreDeps, type StorageConfig } from "./object-store.ts";
import type { ObjectStore } from "./types.ts";

export interface OpenedStorage {
  store: ObjectStore;
  /** Set when no S3_ENDPOINT was configured and the embedded server was started. */
  embedded?: EmbeddedS3;
  /** Closes the store, then stops the embedded server if there is one. */
  close(): Promise<void>;
}

export interface OpenStorageDeps {
  config: StorageConfig;
  metrics: Metrics;
  logger: Logger;
  client?: ObjectStoreDeps["client"];
}

/** Resolves once the bucket exists; rejects (and stops what it started) when it cannot. */
export async function openStorage({
  config,
  metrics,
  logger,
  client,
}: OpenStorageDeps): Promise<OpenedStorage> {
  const embedded = config.s3Endpoint
    ? undefined
    : await startEmbeddedS3({ dataDir: config.dataDir, logger });

  const effective: StorageConfig = embedded
    ? {
        ...config,
        s3Endpoint: embedded.endpoint,
        awsAccessKeyId: embedded.accessKeyId,
        awsSecretAccessKey: embedded.secretAccessKey,
      }
    : config;
  const store = createObjectStore({ config: effective, metrics, logger, client });

  const close = async () => {
    store.close();
    await embedded?.stop();
  };

  try {
    await store.ensureBucket();
  } catch (error) {
    await close();
    throw error;
  }
  return { store, embedded, close };
}
