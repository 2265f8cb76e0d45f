/** Serialises SQLite transactions against every other query on the same database file. */

// Why this exists: Bun.SQL talks to SQLite over one connection, so a query that another part of
// the process starts while a `begin()` callback is awaiting silently runs INSIDE that
// transaction (and is rolled back with it). A second connection to the same file in the same
// process is no better: SQLite's busy wait is synchronous and would block the very event loop the
// open transaction needs to finish. The gate makes plain queries wait while a transaction is open
// and runs transactions one at a time, in arrival order.

type Waiter = { kind: "query"; start: () => void } | { kind: "transaction"; start: () => void };

export class SqliteGate {
  private open = false;
  private readonly waiters: Waiter[] = [];

  /** Starts `start` now if no transaction is open, else when the open ones have finished. */
  query<T>(start: () => Promise<T>): Promise<T> {
    if (!this.open && this.waiters.length === 0) return start();
    return new Promise<T>((resolve, reject) => {
      this.waiters.push({ kind: "query", start: () => start().then(resolve, reject) });
    });
  }

  /** Runs `body` while no other query or transaction of this gate can start. */
  async transaction<T>(body: () => Promise<T>): Promise<T> {
    if (this.open || this.waiters.length > 0) {
      await new Promise<void>((resolve) => {
        this.waiters.push({ kind: "transaction", start: resolve });
      });
    } else {
      this.open = true;
    }
    try {
      return await body();
    } finally {
      this.release();
    }
  }

  private release(): void {
    this.open = false;
    // Plain queries that queued up start now, synchronously, so SQLite has sent them before the
    // next transaction's BEGIN; the next transaction then takes the gate.
    while (this.waiters.length > 0) {
      const next = this.waiters.shift() as Waiter;
      if (next.kind === "transaction") {
        this.open = true;
        next.start();
        return;
      }
      next.start();
    }
  }
}

// One gate per database file, so two Database objects on one file in one process (the
// all-in-one launcher, tests) still exclude each other. In-memory databases get their own.
const gates = new Map<string, { gate: SqliteGate; users: number }>();

export function acquireGate(filename: string): { gate: SqliteGate; release: () => void } {
  if (filename === ":memory:") return { gate: new SqliteGate(), release: () => {} };
  let entry = gates.get(filename);
  if (!entry) {
    entry = { gate: new SqliteGate(), users: 0 };
    gates.set(filename, entry);
  }
  entry.users += 1;
  const held = entry;
  return {
    gate: held.gate,
    release: () => {
      held.users -= 1;
      if (held.users === 0) gates.delete(filename);
    },
  };
}
