import Database from "better-sqlite3";
import { databasePath } from "../../env";
import { startCheckpointer, type Checkpointer } from "./checkpointer";

// The serve process's own connection to the database: the fast inbox writes
// accepted POSTs and applies them through it with prepared statements, no
// Prisma. One connection, opened on first use; WAL with
// synchronous=NORMAL as the app's (lib/db.ts): a commit survives a crash of
// the process, and a power cut loses at most the last transactions' fsync.
//
// No busy timeout: SQLite waits for a lock by sleeping the thread, and the
// holder is most often Prisma on this same thread (an interactive
// transaction between two awaits), which cannot finish while we sleep. A
// busy write is retried asynchronously instead (inbox-store.ts, worker.ts).
// Temporary data in memory: each row the worker applies runs in a savepoint,
// and SQLite keeps a statement journal for it, on a temporary file by default
// (~50 extra writes per DM, docs/BENCHMARKS.md).

let connection: Database.Database | null = null;
let checkpointer: Checkpointer | null = null;

export function inboundDb(): Database.Database {
  if (connection) return connection;
  const db = new Database(databasePath(), { fileMustExist: true, timeout: 0 });
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = NORMAL");
  db.pragma("foreign_keys = ON");
  db.pragma("temp_store = MEMORY");
  connection = db;
  return db;
}

/** Checkpoint the WAL on a thread of its own (checkpointer.ts) instead of inside this connection's commits. */
export function checkpointOffThread(): void {
  if (checkpointer) return;
  const db = inboundDb();
  db.pragma("wal_autocheckpoint = 0");
  checkpointer = startCheckpointer(() => {
    if (connection === db) db.pragma("wal_autocheckpoint = 1000");
  });
}

export async function closeInboundDb(): Promise<void> {
  await checkpointer?.stop();
  checkpointer = null;
  connection?.close();
  connection = null;
}

/** Prisma's text form of a DateTime in SQLite, so the app reads these rows like its own. */
export { sqlTime } from "../../domain/sql-steps";
