/** The embedded S3 server: s3rver in this process, on loopback, files under DATA_DIR/s3. */

/// <reference path="./s3rver.d.ts" />

import { randomBytes } from "node:crypto";
import { mkdir } from "node:fs/promises";
import { createServer, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import type { Logger } from "@crpipeline/log";
import S3rver from "s3rver";
import { type Verdict, verifySigV4 } from "./embedded-auth.ts";
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
  /** The secret clients sign with; by default a random one made for this run. */
  secretAccessKey?: string;
}

// s3rver knows one account, "S3RVER", and refuses other access key ids. It checks no SigV4
// signature and serves unsigned requests, so the server verifies signatures itself (see
// embedded-auth.ts) against a secret made for this run: only this process can sign requests.
const ACCESS_KEY_ID = "S3RVER";

function refuse(res: ServerResponse, verdict: Exclude<Verdict, { ok: true }>): void {
  const body =
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<Error><Code>${verdict.code}</Code><Message>${verdict.message}</Message></Error>`;
  // The request body (if any) is not read: close the connection rather than reuse it.
  res.writeHead(403, { "content-type": "application/xml", connection: "close" });
  res.end(body);
}

export async function startEmbeddedS3({
  dataDir,
  logger,
  port = 0,
  secretAccessKey = randomBytes(24).toString("base64url"),
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

  // Our own HTTP server around s3rver's request handler (instead of `s3rver.run()`): it checks
  // signatures first, and stop() can drop the keep-alive connections the SDK holds open.
  const handle = app.callback();
  const secretFor = (id: string) => (id === ACCESS_KEY_ID ? secretAccessKey : undefined);
  const server = createServer((req, res) => {
    let verdict: Verdict;
    try {
      verdict = verifySigV4(req, secretFor);
    } catch {
      verdict = { ok: false, code: "AccessDenied", message: "The request could not be verified" };
    }
    if (verdict.ok) return handle(req, res);
    log.debug({ method: req.method, code: verdict.code }, "embedded S3 refused a request");
    refuse(res, verdict);
  });
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
    secretAccessKey,
    stop,
  };
}
