import { PrismaBetterSQLite3 } from "@prisma/adapter-better-sqlite3";
import { PrismaClient } from "./generated/prisma/client";
import { databaseUrl } from "./env";

// Next loads module state up to three times per process (instrumentation,
// proxy, routes), and `moiety serve` runs another copy for its workers; keep
// one client on globalThis so there is one connection (closed by db-close.ts).
const globalForDb = globalThis as unknown as { moietyPrisma?: PrismaClient; moietyDbReady?: Promise<void> };

function createClient(): PrismaClient {
  // timeout = SQLite busy timeout (ms): wait for a writer instead of failing with SQLITE_BUSY.
  const adapter = new PrismaBetterSQLite3({ url: databaseUrl(), timeout: 5000 });
  return new PrismaClient({ adapter });
}

export function db(): PrismaClient {
  globalForDb.moietyPrisma ??= createClient();
  return globalForDb.moietyPrisma;
}

/**
 * Connection settings that SQLite does not keep in the file. WAL is persistent,
 * but asking again is cheap and repairs a database copied in without it.
 */
export function dbReady(): Promise<void> {
  globalForDb.moietyDbReady ??= (async () => {
    const client = db();
    await client.$queryRawUnsafe("PRAGMA journal_mode = WAL");
    await client.$queryRawUnsafe("PRAGMA foreign_keys = ON");
    await client.$queryRawUnsafe("PRAGMA synchronous = NORMAL");
    // Statement journals (savepoints, multi-row writes) in memory, not on temporary files.
    await client.$queryRawUnsafe("PRAGMA temp_store = MEMORY");
  })();
  return globalForDb.moietyDbReady;
}

type Tx = Parameters<Parameters<PrismaClient["$transaction"]>[0]>[0];

/**
 * An interactive transaction that takes SQLite's write lock up front. A WAL
 * transaction that reads first and writes later fails at once with
 * SQLITE_BUSY_SNAPSHOT when another connection (the CLI, the other module copy)
 * wrote in between; one that starts with a write waits on the busy timeout
 * instead. The statement matches no row but still opens the write transaction.
 */
export function writeTransaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
  return db().$transaction(async (tx) => {
    await tx.$executeRawUnsafe('UPDATE "Setting" SET "key" = "key" WHERE 0');
    return fn(tx);
  });
}
