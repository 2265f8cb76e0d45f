/** Streams an S3 object to the client as an attachment with a safe filename. */

import { contentDisposition, type ObjectStore } from "@crpipeline/storage";

export async function downloadResponse(
  store: ObjectStore,
  key: string,
  filename: string,
): Promise<Response> {
  const object = await store.get(key);
  return new Response(object.body, {
    headers: {
      "content-type": object.contentType,
      "content-length": String(object.size),
      "content-disposition": contentDisposition(filename),
      "x-content-type-options": "nosniff",
    },
  });
}
