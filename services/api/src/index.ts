/** The API service: `startApi` for entry points, `createApp`/`buildApiDeps` for tests. */

export { type App, createApp, routeTemplates } from "./app.ts";
export { createAdmin } from "./bootstrap.ts";
export type { ApiDeps } from "./deps.ts";
export { buildApiDeps, type RunningApi, type StartApiOptions, startApi } from "./server.ts";
