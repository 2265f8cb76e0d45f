/** The object journal: S3 keys whose fate is not settled yet, so no crash leaves an orphan. */

import type { Migration } from "./index.ts";

export const objectJournal: Migration = {
  id: "002-object-journal",
  statements: () => [
    `CREATE TABLE object_journal (
      storage_key TEXT PRIMARY KEY,
      reason TEXT NOT NULL CHECK (reason IN ('upload', 'delete')),
      created_at BIGINT NOT NULL
    )`,
    "CREATE INDEX object_journal_reason_idx ON object_journal (reason, created_at)",
  ],
};
