import { PrismaBetterSQLite3 } from "@prisma/adapter-better-sqlite3";
import { PrismaClient } from "./generated/prisma/client";
import { databaseUrl } from "./env";

// Next loads module state up to three times per process (instrumentation,
// proxy, routes); keep one client on globalThis so there is one connection.
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
  })();
  return globalForDb.moietyDbReady;
}
