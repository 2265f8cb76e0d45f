/** The embedded S3 server: s3rver in this process, on loopback, files under DATA_DIR/s3. */

import { mkdir } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import type { Logger } from "@crpipeline/log";
import S3rver from "s3rver";
import { SortedListingStore } from "./embedded-listing.ts";

export interface EmbeddedS3 {
  /** `http://127.0.0.1:<port>`; point the S3 client here with path-style URLs. */
  endpoint: string;
  port: number;
  directory: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** Closes the listener and every open connection; safe to call twice. */
  stop(): Promise<void>;
}

export interface EmbeddedS3Options {
  dataDir: string;
  logger: Logger;
  /** 0 (the default) picks a free port. */
  port?: number;
}

// s3rver knows exactly one account and checks the access key id of every signed request against
// it; its secret is the same word. Only loopback clients can reach the server.
const ACCESS_KEY_ID = "S3RVER";
const SECRET_ACCESS_KEY = "S3RVER";

export async function startEmbeddedS3({
  dataDir,
  logger,
  port = 0,
}: EmbeddedS3Options): Promise<EmbeddedS3> {
  const log = logger.child("embedded-s3");
  const directory = join(dataDir, "s3");
  await mkdir(directory, { recursive: true });

  const app = new S3rver({ directory, silent: true, vhostBuckets: false });
  // Routes read the store from the Koa context; swap in one whose listings are sorted on Bun.
  app.store = app.context.store = new SortedListingStore(directory);
  // Koa reports every S3 error response here (NoSuchKey included); without a listener it prints
  // them to stderr. Client mistakes are debug noise, server faults are worth a warning.
  app.on("error", (error) => {
    const fields = { code: error.code ?? error.name, status: error.status, error };
    if ((error.status ?? 500) >= 500) log.warn(fields, "embedded S3 request failed");
    else log.debug(fields, "embedded S3 answered an error");
  });

  // Our own HTTP server around s3rver's request handler (instead of `s3rver.run()`), so stop()
  // can drop the keep-alive connections the SDK holds open; otherwise closing waits for them.
  const server = createServer(app.callback());
  await new Promise<void>((resolve, reject) => {
    server.once("error", (error: NodeJS.ErrnoException) =>
      reject(new Error(`Embedded S3 cannot listen on 127.0.0.1:${port}: ${error.code ?? error}`)),
    );
    server.listen(port, "127.0.0.1", () => resolve());
  });
  const bound = (server.address() as AddressInfo).port;
  const endpoint = `http://127.0.0.1:${bound}`;
  log.info({ endpoint, directory }, "embedded S3 started");

  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }).then(() => log.info({ endpoint }, "embedded S3 stopped"));
    return stopping;
  };

  return {
    endpoint,
    port: bound,
    directory,
    accessKeyId: ACCESS_KEY_ID,
    secretAccessKey: SECRET_ACCESS_KEY,
    stop,
  };
}
