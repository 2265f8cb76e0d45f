/**
 * Lets @upstash/ratelimit run on a stock Redis through Bun's built-in RedisClient.
 *
 * The library calls `evalsha(hash, keys, args)` and, when the reply mentions NOSCRIPT,
 * `eval(script, keys, args)` (`get`/`set` only for dynamic limits, which we leave off). Two
 * things stand between it and a stock Redis:
 * - its scripts start with `#!lua flags=allow-key-locking`, which Redis 7 refuses ("Unexpected
 *   flag in script shebang"): we strip that line, so the library's hashes (sha1 of the text
 *   with the line) no longer name what Redis caches; we map them to the stripped script's sha1.
 * - Bun's client gives up for good after its reconnect attempts ("Connection has failed" on
 *   every later call): we drop a failed client and build a new one, at most once per
 *   `retryDelayMs`, so a Redis that comes back is used again without a restart.
 * Every command is bounded by `commandTimeoutMs`; a timeout also drops the client so a command
 * queued offline cannot land later.
 */

import type { Ratelimit } from "@upstash/ratelimit";
import { RedisClient } from "bun";

type LibraryRedis = ConstructorParameters<typeof Ratelimit>[0]["redis"];

export interface RedisAdapter extends LibraryRedis {
  eval<TArgs extends unknown[], TData = unknown>(
    script: string,
    keys: string[],
    args: TArgs,
  ): Promise<TData>;
  /** Resolves when Redis answers PING; for readiness checks. */
  ping(): Promise<void>;
  close(): void;
}

export interface RedisAdapterOptions {
  url: string;
  commandTimeoutMs: number;
  /** After a failure, calls fail at once for this long before a new client is tried. */
  retryDelayMs: number;
  /** Called each time a client is dropped; for logs. */
  onClientDropped?: (reason: unknown) => void;
}

/** Thrown while Redis is known to be down and the retry delay has not passed. */
export class RedisUnavailableError extends Error {
  constructor(cause?: unknown) {
    super("Redis is unavailable", { cause });
    this.name = "RedisUnavailableError";
  }
}

const SHEBANG = /^#![^\n]*\n/;
const sha1 = (text: string) => new Bun.CryptoHasher("sha1").update(text).digest("hex");

interface Script {
  body: string;
  sha: string;
}

export function createRedisAdapter(options: RedisAdapterOptions): RedisAdapter {
  const { url, commandTimeoutMs, retryDelayMs } = options;
  // Library hash → stripped script. Holds one entry per script the library ships.
  const scripts = new Map<string, Script>();
  let client: RedisClient | undefined;
  let failedAt = Number.NEGATIVE_INFINITY;
  let lastFailure: unknown;

  const drop = (failed: RedisClient, reason: unknown) => {
    if (client !== failed) return;
    client = undefined;
    failedAt = Date.now();
    lastFailure = reason;
    failed.close();
    options.onClientDropped?.(reason);
  };

  const current = (): RedisClient => {
    if (client) return client;
    if (Date.now() - failedAt < retryDelayMs) throw new RedisUnavailableError(lastFailure);
    const fresh = new RedisClient(url, {
      connectionTimeout: commandTimeoutMs,
      // A few quick retries ride out a blip; after that we rebuild the client ourselves.
      maxRetries: 3,
      enableAutoPipelining: true,
    });
    // Bun runs onclose once it has given up reconnecting.
    fresh.onclose = (error) => drop(fresh, error);
    client = fresh;
    return fresh;
  };

  const send = async (command: string, args: string[]): Promise<unknown> => {
    const used = current();
    const reply = used.send(command, args);
    // The reply may settle after we stopped waiting; nobody else awaits it.
    reply.catch(() => {});
    let timer: Timer | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`Redis ${command} timed out after ${commandTimeoutMs} ms`)),
        commandTimeoutMs,
      );
    });
    try {
      return await Promise.race([reply, timeout]);
    } catch (error) {
      // An error reply (NOSCRIPT, WRONGTYPE…) means the connection works; anything else does not.
      if ((error as { code?: string }).code !== "ERR_REDIS_SERVER_ERROR") drop(used, error);
      throw error;
    } finally {
      clearTimeout(timer);
    }
  };

  const register = (text: string): Script => {
    const hash = sha1(text);
    let script = scripts.get(hash);
    if (!script) {
      const body = text.replace(SHEBANG, "");
      script = { body, sha: sha1(body) };
      scripts.set(hash, script);
    }
    return script;
  };

  const scriptArgs = (keys: string[], args: unknown[]) => [
    String(keys.length),
    ...keys,
    ...args.map((arg) => (arg === null || arg === undefined ? "" : String(arg))),
  ];

  const evalScript = (script: Script, keys: string[], args: unknown[]) =>
    send("EVAL", [script.body, ...scriptArgs(keys, args)]);

  return {
    async evalsha<TArgs extends unknown[], TData = unknown>(
      hash: string,
      keys: string[],
      args: TArgs,
    ): Promise<TData> {
      const script = scripts.get(hash);
      // Unknown hash: answer like Redis would so the library sends the script text with EVAL.
      if (!script) throw new Error("NOSCRIPT No matching script (not yet seen by the adapter)");
      try {
        return (await send("EVALSHA", [script.sha, ...scriptArgs(keys, args)])) as TData;
      } catch (error) {
        // A restarted Redis forgot its script cache; send the text again.
        if (!String(error).includes("NOSCRIPT")) throw error;
        return (await evalScript(script, keys, args)) as TData;
      }
    },

    async eval<TArgs extends unknown[], TData = unknown>(
      text: string,
      keys: string[],
      args: TArgs,
    ): Promise<TData> {
      return (await evalScript(register(text), keys, args)) as TData;
    },

    async get<TData>(key: string): Promise<TData | null> {
      return (await send("GET", [key])) as TData | null;
    },

    async set<TData>(key: string, value: TData): Promise<"OK" | TData | null> {
      const text = typeof value === "string" ? value : JSON.stringify(value);
      return (await send("SET", [key, text])) as "OK";
    },

    async ping() {
      await send("PING", []);
    },

    close() {
      const open = client;
      client = undefined;
      open?.close();
    },
  };
}
