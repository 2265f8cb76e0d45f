/** Finds tesseract.js language data on disk, so no worker ever reaches for a CDN. */

import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { languageUnavailable } from "./errors.ts";

export interface LanguageData {
  code: string;
  /** Directory holding `<code>.traineddata[.gz]`, passed to tesseract.js as `langPath`. */
  dir: string;
  gzip: boolean;
}

// The packages ship LSTM-only data (what OEM 1 needs, a quarter of the size) and the full set.
const DATA_DIRS = ["4.0.0_best_int", "4.0.0"];

/** Language data from the `@tesseract.js-data/<code>` package installed next to this one. */
export function resolveLanguageData(code: string): LanguageData {
  let packageDir: string;
  try {
    packageDir = dirname(
      Bun.resolveSync(`@tesseract.js-data/${code}/package.json`, import.meta.dir),
    );
  } catch {
    throw languageUnavailable(code, "tesseract.js", `add the @tesseract.js-data/${code} package`);
  }

  for (const sub of DATA_DIRS) {
    const dir = join(packageDir, sub);
    if (existsSync(join(dir, `${code}.traineddata.gz`))) return { code, dir, gzip: true };
    if (existsSync(join(dir, `${code}.traineddata`))) return { code, dir, gzip: false };
  }
  throw languageUnavailable(code, "tesseract.js", `no traineddata file in ${packageDir}`);
}

/** The tesseract.js `langs` argument and worker options for a set of languages. */
export async function workerLanguages(codes: string[]) {
  const data = codes.map(resolveLanguageData);
  const [first] = data;
  if (!first) throw languageUnavailable("(none)", "tesseract.js", "the stage lists no language");

  const options = { langPath: first.dir, gzip: first.gzip, cacheMethod: "none" as const };
  const sameSource = data.every((d) => d.dir === first.dir && d.gzip === first.gzip);
  if (sameSource) return { langs: codes, options };

  // Each language lives in its own package directory, but tesseract.js takes one langPath:
  // hand it the bytes instead (it detects gzip itself). langPath stays set so it never
  // falls back to the CDN.
  const langs = await Promise.all(
    data.map(async (d) => ({
      code: d.code,
      data: await Bun.file(join(d.dir, `${d.code}.traineddata${d.gzip ? ".gz" : ""}`)).bytes(),
    })),
  );
  return { langs, options };
}
