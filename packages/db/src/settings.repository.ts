/** Organisation settings: prompt templates, AI endpoint override and write-only secrets. */

import type { Database, Executor } from "./database.ts";
import { isSealed, type SecretBox } from "./secret-box.ts";
import { parseJson, toJson } from "./values.ts";

// Secrets are stored apart from the other settings, sealed (see secret-box.ts), and only
// `getInternalSettings` (for the worker) returns their values; the public view says which ones
// are set. Rows written before sealing hold plain JSON: they are read as such and sealed on
// their next update.

export interface AiOverride {
  /** OpenAI-compatible base URL; null uses the deployment's AI_API_URL. */
  url: string | null;
  model: string | null;
}

interface StoredData {
  promptTemplates: Record<string, string>;
  ai: AiOverride;
}

export interface Secrets {
  aiApiKey: string | null;
  /** Keys of external OCR services, by the name a stage refers to. */
  ocrKeys: Record<string, string>;
}

export interface PublicSettings extends StoredData {
  secrets: { aiApiKey: boolean; ocrKeys: string[] };
}

export interface InternalSettings extends StoredData {
  secrets: Secrets;
}

export interface SettingsUpdate {
  /** A null value deletes that template. */
  promptTemplates?: Record<string, string | null>;
  ai?: Partial<AiOverride>;
  /** Write-only; null deletes. */
  secrets?: { aiApiKey?: string | null; ocrKeys?: Record<string, string | null> };
}

const emptyData = (): StoredData => ({ promptTemplates: {}, ai: { url: null, model: null } });
const emptySecrets = (): Secrets => ({ aiApiKey: null, ocrKeys: {} });

function openSecrets(stored: unknown, box: SecretBox): Partial<Secrets> {
  if (typeof stored === "string" && isSealed(stored)) return JSON.parse(box.open(stored));
  return parseJson<Partial<Secrets>>(stored, {});
}

async function read(db: Executor, orgId: string, box: SecretBox, forUpdate = false) {
  const lock = forUpdate && db.engine === "postgres" ? " FOR UPDATE" : "";
  const [row] = await db.sql.unsafe(`SELECT data, secrets FROM settings WHERE org_id = $1${lock}`, [
    orgId,
  ]);
  return {
    data: { ...emptyData(), ...parseJson<Partial<StoredData>>(row?.data, {}) },
    secrets: { ...emptySecrets(), ...openSecrets(row?.secrets, box) },
  };
}

function publicView(data: StoredData, secrets: Secrets): PublicSettings {
  return {
    ...data,
    secrets: { aiApiKey: secrets.aiApiKey !== null, ocrKeys: Object.keys(secrets.ocrKeys).sort() },
  };
}

/** What the API may show: no secret values, only which secrets are set. */
export async function getSettings(
  db: Database,
  orgId: string,
  box: SecretBox,
): Promise<PublicSettings> {
  const { data, secrets } = await read(db, orgId, box);
  return publicView(data, secrets);
}

/** For the worker only: includes the secret values. Never send this to a client. */
export async function getInternalSettings(
  db: Database,
  orgId: string,
  box: SecretBox,
): Promise<InternalSettings> {
  const { data, secrets } = await read(db, orgId, box);
  return { ...data, secrets };
}

function merge<T>(current: Record<string, T>, patch: Record<string, T | null> | undefined) {
  const next = { ...current };
  for (const [key, value] of Object.entries(patch ?? {})) {
    if (value === null) delete next[key];
    else next[key] = value;
  }
  return next;
}

/** Merges `update` into the stored settings atomically and returns the public view. */
export async function updateSettings(
  db: Database,
  orgId: string,
  update: SettingsUpdate,
  box: SecretBox,
): Promise<PublicSettings> {
  return db.transaction(async (tx) => {
    await tx.sql`
      INSERT INTO settings (org_id, data, secrets, updated_at)
      VALUES (${orgId}, ${toJson(emptyData())}, ${box.seal(toJson(emptySecrets()))}, ${Date.now()})
      ON CONFLICT (org_id) DO NOTHING`;
    const current = await read(tx, orgId, box, true);

    const data: StoredData = {
      promptTemplates: merge(current.data.promptTemplates, update.promptTemplates),
      ai: { ...current.data.ai, ...update.ai },
    };
    const secrets: Secrets = {
      aiApiKey:
        update.secrets?.aiApiKey === undefined ? current.secrets.aiApiKey : update.secrets.aiApiKey,
      ocrKeys: merge(current.secrets.ocrKeys, update.secrets?.ocrKeys),
    };
    await tx.sql`
      UPDATE settings SET data = ${toJson(data)}, secrets = ${box.seal(toJson(secrets))},
                          updated_at = ${Date.now()}
      WHERE org_id = ${orgId}`;
    return publicView(data, secrets);
  });
}
