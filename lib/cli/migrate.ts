import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import { databasePath, env } from "../env";
import { CliError } from "./errors";
import { PROJECT_ROOT } from "./paths";

const MIGRATIONS_DIR = path.join(PROJECT_ROOT, "prisma", "migrations");

/**
 * Migrations in prisma/migrations not yet applied to the database. Asked
 * directly (read-only) because `prisma migrate deploy` takes an exclusive lock
 * and so fails while a server has the database open; a CLI command next to a
 * running server must not need it unless there is something to apply.
 */
export function pendingMigrations(): string[] {
  const all = fs
    .readdirSync(MIGRATIONS_DIR, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort();
  if (!fs.existsSync(databasePath())) return all;
  const db = new Database(databasePath(), { readonly: true, fileMustExist: true });
  try {
    return unapplied(db, all);
  } catch (err) {
    throw new CliError(
      `The database ${databasePath()} cannot be read (${err instanceof Error ? err.message : err}). ` +
        "Restore it from a backup, or move it away to start fresh.",
    );
  } finally {
    db.close();
  }
}

function unapplied(db: Database.Database, all: string[]): string[] {
  const table = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name = '_prisma_migrations'").get();
  if (!table) return all;
  const applied = new Set(
    db
      .prepare("SELECT migration_name FROM _prisma_migrations WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL")
      .all()
      .map((r) => (r as { migration_name: string }).migration_name),
  );
  return all.filter((m) => !applied.has(m));
}

/** Apply pending Prisma migrations to the database in the data dir (creating both if needed). */
export async function migrateDatabase(): Promise<void> {
  fs.mkdirSync(env().dataDir, { recursive: true, mode: 0o700 });
  if (pendingMigrations().length === 0) return;
  const prismaCli = path.join(PROJECT_ROOT, "node_modules", "prisma", "build", "index.js");
  const output: string[] = [];
  const code = await new Promise<number>((resolve, reject) => {
    const child = spawn(process.execPath, [prismaCli, "migrate", "deploy"], {
      cwd: PROJECT_ROOT,
      env: { ...process.env, MOIETY_DATA_DIR: env().dataDir, CHECKPOINT_DISABLE: "1", PRISMA_HIDE_UPDATE_MESSAGE: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    child.stdout.on("data", (d) => output.push(String(d)));
    child.stderr.on("data", (d) => output.push(String(d)));
    child.on("error", reject);
    child.on("exit", (c) => resolve(c ?? 1));
  });
  if (code !== 0) {
    const last = output.join("").trim().split("\n").filter(Boolean).slice(-3).join(" ");
    throw new CliError(`Database migration failed: ${last}`);
  }
}
