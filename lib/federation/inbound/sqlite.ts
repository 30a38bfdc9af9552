import Database from "better-sqlite3";
import { databasePath } from "../../env";

// The front process's own connection to the database: the fast inbox writes
// accepted POSTs and applies them through it with prepared statements, no
// Prisma. One connection per process, opened on first use; WAL with
// synchronous=NORMAL as the app's (lib/db.ts): a commit survives a crash of
// the process, and a power cut loses at most the last transactions' fsync.

let connection: Database.Database | null = null;

export function inboundDb(): Database.Database {
  if (connection) return connection;
  const db = new Database(databasePath(), { fileMustExist: true, timeout: 10_000 });
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = NORMAL");
  db.pragma("foreign_keys = ON");
  connection = db;
  return db;
}

export function closeInboundDb(): void {
  connection?.close();
  connection = null;
}

/** Prisma's text form of a DateTime in SQLite, so the app reads these rows like its own. */
export { sqlTime } from "../../domain/sql-steps";
