/** Parsers for environment values: each returns the typed value or throws naming the variable. */

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join("\n  - ")}`);
    this.name = "ConfigError";
  }
}

type Parse<T> = (raw: string, name: string) => T;

export interface Setting<T> {
  env: string;
  doc: string;
  /** Shown in docs; `undefined` when unset is a meaningful state. */
  default: T;
  defaultDoc?: string;
  parse: Parse<T>;
  secret?: boolean;
}

const fail = (name: string, allowed: string, raw: string): never => {
  throw new Error(`${name} must be ${allowed} (got "${raw}")`);
};

export const str: Parse<string> = (raw) => raw;

export const int =
  (min: number, max: number): Parse<number> =>
  (raw, name) => {
    const value = Number(raw);
    if (!/^-?\d+$/.test(raw.trim()) || value < min || value > max) {
      return fail(name, `an integer from ${min} to ${max}`, raw);
    }
    return value;
  };

export const oneOf =
  <const T extends readonly string[]>(values: T): Parse<T[number]> =>
  (raw, name) =>
    (values as readonly string[]).includes(raw)
      ? (raw as T[number])
      : fail(name, `one of ${values.join(", ")}`, raw);

export const url =
  (protocols: readonly string[]): Parse<string> =>
  (raw, name) => {
    let parsed: URL;
    try {
      parsed = new URL(raw);
    } catch {
      return fail(name, `a URL (${protocols.join(", ")})`, raw);
    }
    if (!protocols.includes(parsed.protocol.replace(/:$/, ""))) {
      return fail(name, `a URL with scheme ${protocols.join(" or ")}`, raw);
    }
    return raw;
  };

export const host: Parse<string> = (raw, name) =>
  /^[A-Za-z0-9.:\-[\]]+$/.test(raw) ? raw : fail(name, "a host name or IP address", raw);

export const csv =
  <const T extends readonly string[]>(values: T): Parse<T[number][]> =>
  (raw, name) => {
    const items = raw
      .split(",")
      .map((item) => item.trim())
      .filter(Boolean);
    for (const item of items) oneOf(values)(item, name);
    return items as T[number][];
  };

export const minBytes =
  (bytes: number): Parse<string> =>
  (raw, name) =>
    Buffer.byteLength(raw) >= bytes ? raw : fail(name, `at least ${bytes} bytes long`, "…");

export const optional = <T>(parse: Parse<T>): Parse<T | undefined> => parse;
