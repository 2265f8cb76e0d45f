/**
 * An API on an S3 server of the test file's own, which its tests stop and restart: for S3
 * outages and what they leave behind.
 */

import { afterAll, beforeAll, describe } from "bun:test";
import { ENGINES, postgresAvailable } from "@crpipeline/db/db.test-utils";
import { silentLogger } from "@crpipeline/log";
import { startEmbeddedS3 } from "@crpipeline/storage";
import { tempDir } from "@crpipeline/testing";
import { startTestApi, type Tenant, type TestApi } from "./api.test-utils.ts";

/** An S3 server of the test's own, which it may stop and start again on the same port. */
export interface OwnS3 {
  /** The environment that points an API at it. */
  env: Record<string, string>;
  /** Stops it: the outage begins. */
  stop(): Promise<void>;
  /** Starts it again on the same port, secret and files: the outage ends. */
  restart(): Promise<void>;
  /** Stops it and removes its files. */
  destroy(): Promise<void>;
}

export async function startOwnS3(): Promise<OwnS3> {
  const dir = tempDir("crp-s3-");
  let server = await startEmbeddedS3({ dataDir: dir.path, logger: silentLogger });
  const { port, secretAccessKey } = server;
  return {
    env: {
      S3_ENDPOINT: server.endpoint,
      AWS_ACCESS_KEY_ID: server.accessKeyId,
      AWS_SECRET_ACCESS_KEY: secretAccessKey,
    },
    stop: () => server.stop(),
    async restart() {
      server = await startEmbeddedS3({
        dataDir: dir.path,
        logger: silentLogger,
        port,
        secretAccessKey,
      });
    },
    async destroy() {
      await server.stop();
      dir.cleanup();
    },
  };
}

export interface ApiOnOwnS3 {
  s3: OwnS3;
  api: TestApi;
  /** An organisation with an org admin and a user, made when the block starts. */
  tenant: Tenant;
}

/** Runs `body` once per engine with an API on an S3 server of its own, and a tenant. */
export function describeEachApiOnOwnS3(
  name: string,
  tenantLabel: string,
  body: (current: () => ApiOnOwnS3) => void,
): void {
  for (const engine of ENGINES) {
    describe.skipIf(engine === "postgres" && !postgresAvailable)(`${name} [${engine}]`, () => {
      let started: ApiOnOwnS3 | undefined;
      beforeAll(async () => {
        const s3 = await startOwnS3();
        const api = await startTestApi(engine, s3.env);
        started = { s3, api, tenant: await api.createTenant(tenantLabel) };
      }, 60_000);
      afterAll(async () => {
        await started?.api.stop();
        await started?.s3.destroy();
      }, 30_000);
      body(() => {
        if (!started) throw new Error("the API starts in beforeAll");
        return started;
      });
    });
  }
}
