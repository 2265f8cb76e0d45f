/**
 * Request bodies for the OpenAPI document where a route reads its body itself (login as text,
 * pipelines through the pipeline package's schema, uploads as a stream): the schema a client
 * needs is described here, from the same definitions the route validates with.
 */

import type { DocumentDecoration } from "elysia";
import { z } from "zod";

type RequestBody = NonNullable<DocumentDecoration["requestBody"]>;

/** A JSON request body described by `schema` (its input form: defaults may be left out). */
export function jsonRequestBody(schema: z.ZodType, description: string): RequestBody {
  const { $schema: _dialect, ...jsonSchema } = z.toJSONSchema(schema, {
    io: "input",
    unrepresentable: "any",
  });
  return {
    required: true,
    description,
    // Through JSON: plain data, as the document serves it, and typed as OpenAPI's own schema.
    content: { "application/json": { schema: JSON.parse(JSON.stringify(jsonSchema)) } },
  };
}

/** The multipart upload: one `file`, and a `pipelineId` to start a job with. */
export const uploadRequestBody: RequestBody = {
  required: true,
  description:
    "The document as `file` (its type is decided from its content); `pipelineId` starts a job",
  content: {
    "multipart/form-data": {
      schema: {
        type: "object",
        required: ["file"],
        properties: {
          file: { type: "string", format: "binary" },
          pipelineId: { type: "string" },
        },
      },
    },
  },
};
