/** Walks every page of a listing and turns S3's entries into ListedObjects. */

import type { ListObjectsCommandOutput } from "@aws-sdk/client-s3";
import type { ListedObject } from "./types.ts";

export const unquote = (etag: string | undefined) => etag?.replace(/^"|"$/g, "");

/**
 * Pages with ListObjects (v1) markers, not v2 continuation tokens: s3rver makes those with the
 * "des" cipher, which Bun's crypto does not know, so every truncated v2 page fails with a 500.
 */
export async function listAllPages(
  fetchPage: (marker: string | undefined) => Promise<ListObjectsCommandOutput>,
): Promise<ListedObject[]> {
  const objects: ListedObject[] = [];
  let marker: string | undefined;
  do {
    const page = await fetchPage(marker);
    const entries = (page.Contents ?? []).filter((item) => item.Key);
    for (const item of entries) {
      objects.push({
        key: item.Key ?? "",
        size: item.Size ?? 0,
        etag: unquote(item.ETag),
        lastModified: item.LastModified,
      });
    }
    // Without a delimiter S3 sends no NextMarker: the last key of the page is the marker.
    marker = page.IsTruncated ? (page.NextMarker ?? entries.at(-1)?.Key) : undefined;
  } while (marker);
  return objects;
}
