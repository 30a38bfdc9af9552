import Database from "better-sqlite3";
import { databasePath } from "../env";
import { generateSetupCode, hashSetupCode } from "../domain/setup-code-format";

// What `moiety serve` needs from the database before it starts the app: is
// there an owner, a fresh setup code if not, and the origin the instance was
// set up under. Plain better-sqlite3 rather than Prisma: Prisma is loaded
// only with the web app or the workers (~50 MB resident, ~0.3 s of start),
// and an idle server need neither.

export type StartState = { setupCode: string | null; recordedOrigin: string | undefined };

/** Prisma's text form of a DateTime in SQLite, so the app reads these rows like its own. */
function prismaDateTime(d: Date): string {
  return d.toISOString().replace("Z", "+00:00");
}

export function prepareStartState(now = new Date()): StartState {
  const db = new Database(databasePath(), { fileMustExist: true, timeout: 10_000 });
  try {
    // Persistent once set; the app asks for the same (lib/db.ts).
    db.pragma("journal_mode = WAL");
    const owner = db.prepare(`SELECT 1 FROM "Owner" LIMIT 1`).get();
    if (owner) {
      const row = db.prepare(`SELECT "value" FROM "Setting" WHERE "key" = 'origin'`).get() as { value: string } | undefined;
      return { setupCode: null, recordedOrigin: row ? (JSON.parse(row.value) as string) : undefined };
    }
    // A new code on every start: any earlier one stops working.
    const code = generateSetupCode();
    db.prepare(
      `INSERT INTO "SetupCode" ("id", "codeHash", "createdAt", "usedAt") VALUES (1, ?, ?, NULL)
       ON CONFLICT ("id") DO UPDATE SET "codeHash" = excluded."codeHash", "createdAt" = excluded."createdAt", "usedAt" = NULL`,
    ).run(hashSetupCode(code), prismaDateTime(now));
    return { setupCode: code, recordedOrigin: undefined };
  } finally {
    db.close();
  }
}
