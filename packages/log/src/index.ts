/** Structured JSON logging: one event per line, fields first, then a short message. */

export const LOG_LEVELS = ["debug", "info", "warn", "error", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(fields: LogFields, message: string): void;
  info(fields: LogFields, message: string): void;
  warn(fields: LogFields, message: string): void;
  error(fields: LogFields, message: string): void;
  child(namespace: string): Logger;
}

const rank: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 99 };

// Keys whose values must never reach a log line, whatever the caller passes, at any depth.
const SECRET_KEY = /pass(word)?|secret|token|authorization|api[-_]?key|cookie/i;
/** The fields every line has; a caller's field of the same name is kept as `field.<name>`. */
const CORE_KEYS = new Set(["time", "level", "ns", "msg"]);
/** Deeper than this, a value is summarised: log lines stay small and cycles end. */
const MAX_DEPTH = 6;

function clean(value: unknown, depth: number, seen: WeakSet<object>): unknown {
  if (typeof value === "bigint") return value.toString();
  if (value === null || typeof value !== "object") return value;
  if (seen.has(value)) return "[circular]";
  if (depth >= MAX_DEPTH) return Array.isArray(value) ? "[array]" : "[object]";
  seen.add(value);
  try {
    return cleanObject(value, depth, seen);
  } finally {
    seen.delete(value); // only the path down to here counts: a shared value is no cycle
  }
}

function cleanObject(value: object, depth: number, seen: WeakSet<object>): unknown {
  if (value instanceof Error) {
    const code = (value as { code?: unknown }).code;
    return {
      name: value.name,
      message: value.message,
      ...(code === undefined ? {} : { code: clean(code, depth + 1, seen) }),
      ...(value.cause === undefined ? {} : { cause: clean(value.cause, depth + 1, seen) }),
    };
  }
  if (Array.isArray(value)) return value.map((item) => clean(item, depth + 1, seen));
  if (value instanceof Date) return value.toISOString();
  const out: LogFields = {};
  for (const [key, inner] of Object.entries(value)) {
    out[key] = SECRET_KEY.test(key) ? "[redacted]" : clean(inner, depth + 1, seen);
  }
  return out;
}

/** The caller's fields as they may appear on a line: secrets redacted, core names kept apart. */
function prepare(fields: LogFields): LogFields {
  const cleaned = clean(fields, 0, new WeakSet()) as LogFields;
  const out: LogFields = {};
  for (const [key, value] of Object.entries(cleaned)) {
    out[CORE_KEYS.has(key) ? `field.${key}` : key] = value;
  }
  return out;
}

export interface LoggerOptions {
  level?: LogLevel;
  write?: (line: string) => void;
}

export function createLogger(namespace: string, options: LoggerOptions = {}): Logger {
  const level = options.level ?? defaultLevel();
  const write = options.write ?? ((line: string) => process.stdout.write(`${line}\n`));

  const emit = (at: Exclude<LogLevel, "silent">, fields: LogFields, message: string) => {
    if (rank[at] < rank[level]) return;
    const event = { time: new Date().toISOString(), level: at, ns: namespace, msg: message };
    write(JSON.stringify({ ...event, ...prepare(fields) }));
  };

  return {
    debug: (fields, message) => emit("debug", fields, message),
    info: (fields, message) => emit("info", fields, message),
    warn: (fields, message) => emit("warn", fields, message),
    error: (fields, message) => emit("error", fields, message),
    child: (child) => createLogger(`${namespace}:${child}`, { level, write }),
  };
}

function defaultLevel(): LogLevel {
  const fromEnv = process.env.LOG_LEVEL;
  if (fromEnv && (LOG_LEVELS as readonly string[]).includes(fromEnv)) return fromEnv as LogLevel;
  return process.env.NODE_ENV === "test" ? "silent" : "info";
}

/** A logger that drops everything; for tests and libraries used without one. */
export const silentLogger: Logger = createLogger("silent", { level: "silent" });
