/** Child process for port-taken.test.ts: binds /metrics the way entry points do. */

import { loadConfigOrExit } from "@crpipeline/config";
import { createLogger } from "@crpipeline/log";
import { createTelemetry, listenOrExit } from "../src/index.ts";

const config = loadConfigOrExit();
const logger = createLogger("listen-child", { level: "silent" });
const telemetry = createTelemetry(config, logger);
listenOrExit(telemetry, logger);
await telemetry.shutdown();
