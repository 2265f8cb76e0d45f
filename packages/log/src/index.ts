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

// Keys whose values must never reach a log line, whatever the caller passes.
const SECRET_KEY = /pass(word)?|secret|token|authorization|api[-_]?key|cookie/i;

function redact(fields: LogFields): LogFields {
  const out: LogFields = {};
  for (const [key, value] of Object.entries(fields)) {
    if (SECRET_KEY.test(key)) out[key] = "[redacted]";
    else if (value instanceof Error) out[key] = { name: value.name, message: value.message };
    else out[key] = value;
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
    write(JSON.stringify({ ...event, ...redact(fields) }));
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
