import type Database from "better-sqlite3";

// A use case written once as a sequence of SQL statements, run by either of
// the two ways this project talks to SQLite: synchronously on a better-sqlite3
// connection inside a transaction the caller holds (the fast inbox worker,
// lib/federation/inbound/worker.ts, whose batches cannot await), or through
// Prisma's raw queries inside one of its transactions (the app, where Fedify's
// listeners run). The steps are a generator: it yields each statement and is
// resumed with its rows, so the logic between statements is shared too and
// both paths store exactly the same rows.

export type SqlStep = { sql: string; args: unknown[]; read: boolean };
export type Row = Record<string, unknown>;
export type Steps<T> = Generator<SqlStep, T, Row[]>;

export const read = (sql: string, ...args: unknown[]): SqlStep => ({ sql, args, read: true });
export const write = (sql: string, ...args: unknown[]): SqlStep => ({ sql, args, read: false });

/** Prisma's text form of a DateTime in SQLite (what its adapter writes), so either path's rows read alike. */
export function sqlTime(d: Date): string {
  return d.toISOString().replace("Z", "+00:00");
}

/** A DATETIME column as read by either runner (Prisma gives a Date, better-sqlite3 the text). */
export function toDate(value: unknown): Date | null {
  if (value === null || value === undefined) return null;
  return value instanceof Date ? value : new Date(String(value));
}

const statements = new WeakMap<Database.Database, Map<string, Database.Statement>>();

function bindable(arg: unknown): unknown {
  if (arg instanceof Date) return sqlTime(arg);
  if (typeof arg === "boolean") return arg ? 1 : 0;
  return arg;
}

/** Run the steps on a better-sqlite3 connection (prepared once per connection and statement); the caller holds the transaction. */
export function runSync<T>(db: Database.Database, steps: Steps<T>): T {
  let cache = statements.get(db);
  if (!cache) statements.set(db, (cache = new Map()));
  let rows: Row[] = [];
  for (;;) {
    const next = steps.next(rows);
    if (next.done) return next.value;
    const { sql, args, read } = next.value;
    let statement = cache.get(sql);
    if (!statement) cache.set(sql, (statement = db.prepare(sql)));
    const values = args.map(bindable);
    if (read) rows = statement.all(...values) as Row[];
    else {
      statement.run(...values);
      rows = [];
    }
  }
}

/** What runAsync needs of Prisma: the client or an interactive transaction. */
export type RawExecutor = {
  $queryRawUnsafe<R = unknown>(sql: string, ...args: unknown[]): Promise<R>;
  $executeRawUnsafe(sql: string, ...args: unknown[]): Promise<number>;
};

/** Run the steps through Prisma (its adapter turns Dates and booleans into the same values runSync binds). */
export async function runAsync<T>(executor: RawExecutor, steps: Steps<T>): Promise<T> {
  let rows: Row[] = [];
  for (;;) {
    const next = steps.next(rows);
    if (next.done) return next.value;
    const { sql, args, read } = next.value;
    if (read) rows = await executor.$queryRawUnsafe<Row[]>(sql, ...args);
    else {
      await executor.$executeRawUnsafe(sql, ...args);
      rows = [];
    }
  }
}
