/** Starts a throwaway redis-server child on a free port, so tests can kill and restart Redis. */

import { freePort, waitFor } from "@crpipeline/testing";
import { RedisClient } from "bun";

export interface RedisServer {
  port: number;
  url: string;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export async function redisServer(): Promise<RedisServer> {
  const port = await freePort();
  const url = `redis://127.0.0.1:${port}`;
  let child: ReturnType<typeof Bun.spawn> | undefined;

  const answers = async () => {
    const probe = new RedisClient(url, { connectionTimeout: 200, maxRetries: 0 });
    try {
      return (await probe.send("PING", [])) === "PONG";
    } finally {
      probe.close();
    }
  };

  return {
    port,
    url,
    async start() {
      child = Bun.spawn(
        [
          "redis-server",
          "--port",
          String(port),
          "--bind",
          "127.0.0.1",
          "--save",
          "",
          "--appendonly",
          "no",
        ],
        { stdout: "ignore", stderr: "ignore" },
      );
      await waitFor(answers, { timeoutMs: 5_000, what: `redis-server on ${port}` });
    },
    async stop() {
      child?.kill();
      await child?.exited;
      child = undefined;
    },
  };
}

/** Sends one command to Redis at `url` on a short-lived connection. */
export async function redisCommand(url: string, command: string, args: string[]) {
  const client = new RedisClient(url);
  try {
    return await client.send(command, args);
  } finally {
    client.close();
  }
}
