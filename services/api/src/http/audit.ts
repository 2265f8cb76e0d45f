/** Audit entries for what a caller did, with who (user or API key) and from where. */

import type { Principal } from "@crpipeline/auth";
import { appendAudit, type Database } from "@crpipeline/db";
import { actorOf, clientAddress } from "./auth.ts";

type Server = Parameters<typeof clientAddress>[1];

export interface AuditEvent {
  action: string;
  targetType?: string;
  targetId?: string;
  details?: Record<string, unknown>;
  /** The organisation the action touched, when not the caller's own. */
  orgId?: string;
}

export type Audit = (
  context: { request: Request; server: Server },
  caller: Principal,
  event: AuditEvent,
) => Promise<unknown>;

export const auditor =
  (db: Database, trustedHops = 0): Audit =>
  ({ request, server }, caller, { orgId, ...event }) =>
    appendAudit(db, {
      orgId: orgId ?? caller.orgId,
      ...actorOf(caller),
      ...event,
      ip: clientAddress(request, server, trustedHops),
    });
