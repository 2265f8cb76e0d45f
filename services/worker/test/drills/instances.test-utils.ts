/**
 * Private dependency instances for the fault drills: a Postgres cluster in a temporary directory,
 * a redis-server and an embedded S3 server, each on a free port, so stopping them harms nothing.
 */

import { chownSync, existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { type Config, loadConfig } from "@crpipeline/config";
import { silentLogger } from "@crpipeline/log";
import {
  createObjectStore,
  type EmbeddedS3,
  type ObjectStore,
  startEmbeddedS3,
} from "@crpipeline/storage";
import { createTestTelemetry } from "@crpipeline/telemetry";
import { freePort, requireService, tempDir, waitFor } from "@crpipeline/testing";
import { RedisClient, SQL } from "bun";

/** Where initdb and pg_ctl live: on PATH, or Debian's versioned directory. */
function postgresBinDir(): string {
  const onPath = Bun.which("pg_ctl");
  if (onPath && Bun.which("initdb")) return join(onPath, "..");
  const root = "/usr/lib/postgresql";
  const versions = existsSync(root) ? readdirSync(root).sort((a, b) => Number(b) - Number(a)) : [];
  for (const version of versions) {
    const dir = join(root, version, "bin");
    if (existsSync(join(dir, "initdb"))) return dir;
  }
  throw new Error("initdb/pg_ctl not found on PATH nor under /usr/lib/postgresql/*/bin");
}

/** Whether a private cluster can be made here; under CI=true its absence is a failure. */
export const canRunPostgres = (): Promise<boolean> =>
  requireService("private postgres cluster (initdb, pg_ctl, a postgres OS user)", async () => {
    postgresBinDir();
    if (!Bun.which("runuser")) throw new Error("runuser not found");
    const id = Bun.spawnSync(["id", "-u", "postgres"]);
    if (id.exitCode !== 0) throw new Error("no postgres OS user");
  });

export const canRunRedis = (): Promise<boolean> =>
  requireService("redis-server", async () => {
    if (!Bun.which("redis-server")) throw new Error("redis-server not found on PATH");
  });

export interface PostgresCluster {
  port: number;
  /** `postgres://postgres@127.0.0.1:<port>/postgres` (trust auth). */
  url: string;
  /** `pg_ctl restart -m fast`: every session is cut, the server is back when it resolves. */
  restart(): Promise<void>;
  /** Stops the server (`immediate` by default) and removes its directory. */
  destroy(): Promise<void>;
}

/** Runs a Postgres tool as the postgres OS user (initdb refuses root); throws on failure. */
async function asPostgres(args: string[]): Promise<void> {
  const root = process.getuid?.() === 0;
  const command = root ? ["runuser", "-u", "postgres", "--", ...args] : args;
  const child = Bun.spawn(command, { stdout: "pipe", stderr: "pipe", stdin: "ignore" });
  const [code, out, err] = await Promise.all([
    child.exited,
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
  ]);
  if (code !== 0) throw new Error(`${args.join(" ")} exited ${code}: ${err || out}`);
}

/** initdb + pg_ctl start in a fresh temporary directory, listening on loopback only. */
export async function startPostgresCluster(): Promise<PostgresCluster> {
  const bin = postgresBinDir();
  const dir = tempDir("crp-drill-pg-");
  if (process.getuid?.() === 0) {
    const owner = Bun.spawnSync(["id", "-u", "postgres"]).stdout.toString().trim();
    const group = Bun.spawnSync(["id", "-g", "postgres"]).stdout.toString().trim();
    chownSync(dir.path, Number(owner), Number(group));
  }
  const data = join(dir.path, "data");
  const port = await freePort();
  // fsync off: the drill cares about restarts, not power loss, and it keeps start-up quick.
  const options = `-c listen_addresses=127.0.0.1 -p ${port} -k ${dir.path} -c fsync=off`;
  const pgCtl = (...args: string[]) =>
    asPostgres([join(bin, "pg_ctl"), "-D", data, "-l", join(dir.path, "server.log"), ...args]);

  let running = false;
  try {
    await asPostgres([
      join(bin, "initdb"),
      "-D",
      data,
      "-U",
      "postgres",
      "--auth=trust",
      "-E",
      "UTF8",
      "--no-sync",
    ]);
    await pgCtl("-w", "-t", "30", "-o", options, "start");
    running = true;
  } catch (error) {
    dir.cleanup();
    throw error;
  }
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;

  return {
    port,
    url,
    async restart() {
      await pgCtl("-w", "-t", "30", "-m", "fast", "-o", options, "restart");
    },
    async destroy() {
      if (running) await pgCtl("-w", "-m", "immediate", "stop").catch(() => {});
      running = false;
      dir.cleanup();
    },
  };
}

/** Whether the server at `url` answers a query now. */
export async function postgresAnswers(url: string): Promise<boolean> {
  const sql = new SQL({ url, max: 1, connectionTimeout: 2 });
  try {
    await sql`SELECT 1`;
    return true;
  } catch {
    return false;
  } finally {
    await sql.close({ timeout: 0 });
  }
}

export interface RedisInstance {
  port: number;
  url: string;
  start(): Promise<void>;
  /** SIGKILL: Redis vanishes the way a crashed or partitioned one does. */
  kill(): Promise<void>;
  /** Sends one command on a short-lived connection. */
  command(name: string, args: string[]): Promise<unknown>;
}

/** A redis-server child without persistence on a free port; `start` again reuses the port. */
export async function redisInstance(): Promise<RedisInstance> {
  const port = await freePort();
  const url = `redis://127.0.0.1:${port}`;
  let child: ReturnType<typeof Bun.spawn> | undefined;

  const command = async (name: string, args: string[]) => {
    const client = new RedisClient(url, { connectionTimeout: 500, maxRetries: 0 });
    try {
      return await client.send(name, args);
    } finally {
      client.close();
    }
  };
  const args = ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"];

  return {
    port,
    url,
    command,
    async start() {
      child = Bun.spawn(["redis-server", ...args], { stdout: "ignore", stderr: "ignore" });
      await waitFor(async () => (await command("PING", [])) === "PONG", {
        timeoutMs: 10_000,
        intervalMs: 50,
        what: `redis-server on port ${port}`,
      });
    },
    async kill() {
      child?.kill("SIGKILL");
      await child?.exited;
      child = undefined;
    },
  };
}

export interface PrivateS3 {
  /** S3_ENDPOINT, S3_BUCKET and the credentials a service needs to reach it. */
  env: Record<string, string>;
  /** A client of the same bucket, from the test process. */
  store: ObjectStore;
  /** Starts the server again on the same port, directory and secret. */
  start(): Promise<void>;
  stop(): Promise<void>;
  destroy(): Promise<void>;
}

/** The embedded S3 server in the test process, restartable in place. */
export async function privateS3(bucket = "drill"): Promise<PrivateS3> {
  const dir = tempDir("crp-drill-s3-");
  const port = await freePort();
  const secretAccessKey = crypto.randomUUID();
  let server: EmbeddedS3 | undefined;
  const start = async () => {
    server ??= await startEmbeddedS3({
      dataDir: dir.path,
      logger: silentLogger,
      port,
      secretAccessKey,
    });
  };
  await start();
  const running = server as unknown as EmbeddedS3;
  const env = {
    S3_ENDPOINT: running.endpoint,
    S3_BUCKET: bucket,
    AWS_ACCESS_KEY_ID: running.accessKeyId,
    AWS_SECRET_ACCESS_KEY: secretAccessKey,
  };
  const config: Config = loadConfig({ ...env, DATA_DIR: dir.path });
  const store = createObjectStore({
    config,
    metrics: createTestTelemetry().metrics,
    logger: silentLogger,
  });
  await store.ensureBucket();

  const stop = async () => {
    await server?.stop();
    server = undefined;
  };
  return {
    env,
    store,
    start,
    stop,
    async destroy() {
      store.close();
      await stop();
      dir.cleanup();
    },
  };
}
