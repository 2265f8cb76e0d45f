/** The query parameters every list accepts: limit, cursor, sort, order. */

import { z } from "zod";

export const pageQuery = {
  limit: z.coerce.number().int().min(1).max(100).optional(),
  cursor: z.string().max(500).optional(),
  order: z.enum(["asc", "desc"]).optional(),
};

export const sortQuery = <const S extends readonly [string, ...string[]]>(keys: S) => ({
  ...pageQuery,
  sort: z.enum(keys).optional(),
});
