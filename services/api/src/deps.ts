/** What the API's routes depend on: the shared runtime plus the auth and rate-limit services. */

import type { TokenService } from "@crpipeline/auth";
import type { RateLimiter } from "@crpipeline/ratelimit";
import type { Runtime } from "@crpipeline/runtime";
import type { EventHub } from "./events/hub.ts";

export interface ApiDeps
  extends Pick<Runtime, "config" | "logger" | "metrics" | "db" | "store" | "secrets"> {
  tokens: TokenService;
  limiter: RateLimiter;
  events: EventHub;
  /** Called after a job is queued, so an in-process worker starts without waiting for a poll. */
  onJobQueued: () => void;
  /** Session lifetime; also the cookie's Max-Age. */
  sessionSeconds: number;
}
