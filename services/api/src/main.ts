/** `bun run api`: the HTTP API alone, with its own metrics endpoint, for scale-out. */

import { openRuntime, runMain } from "@crpipeline/runtime";
import { startApi } from "./server.ts";

await runMain("api", async (config, logger) => {
  const runtime = await openRuntime({ config, logger });
  const api = await startApi(runtime);
  return {
    async stop() {
      await api.stop();
      await runtime.close();
    },
  };
});
