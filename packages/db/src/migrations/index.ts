/** The ordered list of schema migrations; append new ones, never edit an applied one. */

import type { Engine } from "../database.ts";
import { initial } from "./001-initial.ts";
import { objectJournal } from "./002-object-journal.ts";

export interface Migration {
  /** `NNN-name`; applied in list order and recorded in schema_migrations. */
  id: string;
  /** SQL both engines accept; branch on `engine` only where a dialect leaves no choice. */
  statements: (engine: Engine) => string[];
}

export const migrations: readonly Migration[] = [initial, objectJournal];
