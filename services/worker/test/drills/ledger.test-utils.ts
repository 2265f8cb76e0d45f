/** What a drill lost, counted from the database and the bucket after the dust settles. */

import { createDatabase, type Database, getJob, getOrganisationByName } from "@crpipeline/db";
import { silentLogger } from "@crpipeline/log";
import type { ObjectStore } from "@crpipeline/storage";

export interface JobLedger {
  id: string;
  status: string;
  attempts: number;
  /** `index/name` of every output row. */
  outputs: string[];
  /** Objects under the job's prefix; equal to the rows when they pair up one to one. */
  objects: number;
  /** Output rows naming the same object as another row: two outputs, one stored. */
  sharedObjects: number;
  /** Output rows whose object is not in the bucket, or has another size. */
  missingObjects: number;
  /** Objects under the job's prefix that no output row names: a stray or extra write. */
  orphanObjects: number;
}

/** Opens the services' database from the test process; close it when done. */
export const openDatabase = (url: string): Promise<Database> =>
  createDatabase({ url, logger: silentLogger, maxConnections: 2 });

export async function orgIdByName(db: Database, name: string): Promise<string> {
  const org = await getOrganisationByName(db, name);
  if (!org) throw new Error(`organisation ${name} not found`);
  return org.id;
}

/** Compares one job's output rows with the objects under `orgs/<org>/jobs/<job>/`. */
export async function jobLedger(
  db: Database,
  store: ObjectStore,
  orgId: string,
  jobId: string,
): Promise<JobLedger> {
  const job = await getJob(db, orgId, jobId);
  if (!job) throw new Error(`job ${jobId} not found`);
  const outputs = job.outputs.map((output) => `${output.index}/${output.name}`);
  const listed = await store.list(`orgs/${orgId}/jobs/${jobId}/`);
  const sizes = new Map(listed.map((object) => [object.key, object.size]));
  const named = new Set(job.outputs.map((output) => output.storageKey));
  return {
    id: job.id,
    status: job.status,
    attempts: job.attempts,
    outputs,
    objects: listed.length,
    sharedObjects: job.outputs.length - named.size,
    missingObjects: job.outputs.filter((o) => sizes.get(o.storageKey) !== o.size).length,
    orphanObjects: listed.filter((object) => !named.has(object.key)).length,
  };
}

export interface DocumentLedger {
  rows: number;
  /** Document rows whose original is not in the bucket (or has another size). */
  rowsWithoutObject: number;
  /** Originals in the bucket that no document row names. */
  objectsWithoutRow: number;
  /** Their keys, to look them up in the service's log. */
  orphanKeys: string[];
}

/** Compares an organisation's document rows with the originals under its prefix. */
export async function documentLedger(
  db: Database,
  store: ObjectStore,
  orgId: string,
): Promise<DocumentLedger> {
  const rows = await db.sql<{ storage_key: string; size: number | string }>`
    SELECT storage_key, size FROM documents WHERE org_id = ${orgId}`;
  const objects = (await store.list(`orgs/${orgId}/documents/`)).filter((object) =>
    object.key.endsWith("/original"),
  );
  const sizes = new Map(objects.map((object) => [object.key, object.size]));
  const keys = new Set(rows.map((row) => row.storage_key));
  let rowsWithoutObject = 0;
  for (const row of rows) {
    // A listing could miss an object a HEAD finds (or the reverse): ask for each row too.
    const head = await store.head(row.storage_key);
    if (!head || head.size !== Number(row.size) || sizes.get(row.storage_key) !== head.size) {
      rowsWithoutObject += 1;
    }
  }
  const orphanKeys = objects.filter((object) => !keys.has(object.key)).map((o) => o.key);
  return { rows: rows.length, rowsWithoutObject, objectsWithoutRow: orphanKeys.length, orphanKeys };
}
