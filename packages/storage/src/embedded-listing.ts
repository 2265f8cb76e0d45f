/** s3rver's file store with a listing that is in key order on Bun too. */

/// <reference path="./s3rver.d.ts" />

import { readdir } from "node:fs/promises";
import { join } from "node:path";
import S3Object from "s3rver/lib/models/object.js";
import FilesystemStore, {
  type ListOptions,
  type ListResult,
} from "s3rver/lib/stores/filesystem.js";

const OBJECT_SUFFIX = "._S3rver_object";

/** Keys of every object file under `dir`, whose keys all start with `base`. */
async function keysUnder(dir: string, base: string): Promise<string[]> {
  let entries: import("node:fs").Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw error;
  }

  const keys: string[] = [];
  for (const entry of entries) {
    const name = FilesystemStore.decodeKeyPath(entry.name);
    if (entry.isDirectory()) {
      keys.push(...(await keysUnder(join(dir, entry.name), `${base}${name}/`)));
    } else if (name.endsWith(OBJECT_SUFFIX)) {
      keys.push(base + name.slice(0, -OBJECT_SUFFIX.length));
    }
  }
  return keys;
}

/**
 * s3rver walks the bucket directory in `readdir` order and pages with "skip keys <= marker".
 * Node's readdir happens to return sorted names; Bun's returns them in directory order, so on
 * Bun listings come out shuffled and a second page repeats and loses keys. This store collects
 * the keys under the prefix, sorts them as S3 does, then pages.
 */
export class SortedListingStore extends FilesystemStore {
  override async listObjects(bucket: string, options: ListOptions): Promise<ListResult> {
    const {
      delimiter = "",
      startAfter = "",
      prefix = "",
      maxKeys = Number.POSITIVE_INFINITY,
    } = options;
    // Only the directory of the prefix's last "/" can hold matching keys.
    const base = prefix.slice(0, prefix.lastIndexOf("/") + 1);
    const matching = (await keysUnder(join(this.getBucketPath(bucket), base), base))
      .filter((key) => key.startsWith(prefix) && key > startAfter)
      .sort();

    const commonPrefixes = new Set<string>();
    const keys: string[] = [];
    let isTruncated = false;
    for (const key of matching) {
      const cut = delimiter ? key.indexOf(delimiter, prefix.length) : -1;
      if (cut !== -1) {
        commonPrefixes.add(key.slice(0, cut + delimiter.length));
      } else if (keys.length < maxKeys) {
        keys.push(key);
      } else {
        isTruncated = true;
        break;
      }
    }

    const found = await Promise.all(
      keys.map((key) =>
        this.getMetadata(bucket, key).then(
          (metadata) => new S3Object(bucket, key, null, metadata),
          // An object deleted while we list is simply not listed.
          (error) => {
            if (error?.code === "ENOENT") return undefined;
            throw error;
          },
        ),
      ),
    );
    const objects = found.filter((object) => object !== undefined);
    return { objects, commonPrefixes: [...commonPrefixes].sort(), isTruncated };
  }
}
