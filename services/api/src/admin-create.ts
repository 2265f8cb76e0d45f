/** `bun run admin:create --email a@b.c --password … [--org name] [--role admin|org_admin]`. */

import { parseArgs } from "node:util";
import { databaseUrl, loadConfigOrExit } from "@crpipeline/config";
import { createDatabase, migrate } from "@crpipeline/db";
import { isAppError } from "@crpipeline/errors";
import { createLogger } from "@crpipeline/log";
import { createAdmin } from "./bootstrap.ts";

const { values } = parseArgs({
  options: {
    email: { type: "string" },
    password: { type: "string" },
    org: { type: "string", default: "default" },
    role: { type: "string", default: "admin" },
  },
});
const password = values.password ?? process.env.ADMIN_PASSWORD;
if (!values.email || !password || !["admin", "org_admin"].includes(values.role ?? "")) {
  process.stderr.write(
    "usage: bun run admin:create --email <email> --password <password> [--org <name>] " +
      "[--role admin|org_admin]\n(the password may come from ADMIN_PASSWORD instead)\n",
  );
  process.exit(64);
}

const config = loadConfigOrExit();
const logger = createLogger("admin-create", { level: "warn" });
const db = await createDatabase({ url: databaseUrl(config), logger });
try {
  await migrate(db);
  const { user, created } = await createAdmin(db, {
    email: values.email,
    password,
    org: values.org ?? "default",
    role: values.role as "admin" | "org_admin",
  });
  process.stdout.write(
    created
      ? `created ${user?.role} ${user?.email} in organisation ${values.org}\n`
      : `${values.email} already exists; nothing changed\n`,
  );
} catch (error) {
  process.stderr.write(`admin:create failed: ${isAppError(error) ? error.message : error}\n`);
  process.exitCode = 1;
} finally {
  await db.close();
}
