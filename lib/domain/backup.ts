import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGzip } from "node:zlib";
import Database from "better-sqlite3";
import { databasePath, env, mediaDir, tlsDir, type Env } from "../env";
import { BackupError, formatBytes } from "./backup-error";
import { unpackBackup, unpackLimit } from "./backup-unpack";
import { tarStream, type TarEntry } from "./tar";

export { BackupError, formatBytes };

// Backups of the whole instance: the database (taken with SQLite's online
// backup API, so a running server can keep writing), the session secret, the
// TLS account key and certificate, and the media dir, in one .tar.gz.
//
// Restore unpacks into a staging directory on the same file system as the data
// dir, checks the database with PRAGMA integrity_check, and only then renames
// the files into place. It refuses a data dir whose database is open (a
// running server), and one that has a database at all unless forced; what it
// replaces is kept aside, never deleted.

export const BACKUP_FORMAT = "moiety-backup";
export const BACKUP_VERSION = 1;

export type BackupManifest = {
  format: typeof BACKUP_FORMAT;
  version: number;
  createdAt: string;
  origin: string | null;
  counts: BackupCounts;
};

export type BackupCounts = { conversations: number; messages: number; mediaFiles: number; tlsFiles: number; authSecret: boolean };

/** What a restore puts into the data dir (the manifest stays behind). */
const RESTORED = ["moiety.db", "auth-secret", "tls", "media"];
/** What a restore moves aside first: the database's companions must never meet another database. */
const REPLACED = ["moiety.db-wal", "moiety.db-shm", "moiety.db-journal", ...RESTORED];

const exists = (p: string) => fs.existsSync(p);

/** Regular files under `dir`, relative to it, sorted; hidden files (temp uploads) and links are left out. */
function filesUnder(dir: string, skipHidden: boolean): string[] {
  if (!exists(dir)) return [];
  const out: string[] = [];
  const walk = (rel: string) => {
    for (const d of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      if (skipHidden && d.name.startsWith(".")) continue;
      const child = rel ? `${rel}/${d.name}` : d.name;
      if (d.isDirectory()) walk(child);
      else if (d.isFile()) out.push(child);
    }
  };
  walk("");
  return out.sort();
}

function countRows(db: Database.Database, table: string): number {
  const found = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(table);
  if (!found) return 0;
  return (db.prepare(`SELECT count(*) AS n FROM "${table}"`).get() as { n: number }).n;
}

function recordedOrigin(db: Database.Database): string | null {
  try {
    const row = db.prepare(`SELECT value FROM "Setting" WHERE key = 'origin'`).get() as { value: string } | undefined;
    const value = row ? JSON.parse(row.value) : null;
    return typeof value === "string" ? value : null;
  } catch {
    return null;
  }
}

/** PRAGMA integrity_check's verdict: "ok" or the first problems it lists. */
function integrity(db: Database.Database): string {
  const rows = db.prepare("PRAGMA integrity_check").all() as { integrity_check: string }[];
  return rows.map((r) => r.integrity_check).slice(0, 3).join("; ");
}

/**
 * Is the database open in another process (a running server, a CLI command)?
 * Every connection to a WAL database holds a shared lock on the file, so an
 * exclusive lock, asked for without waiting, fails exactly while someone has
 * it open. The probe changes nothing.
 */
export function databaseInUse(file: string): boolean {
  let probe: Database.Database;
  try {
    probe = new Database(file, { fileMustExist: true, timeout: 0 });
  } catch {
    return false;
  }
  try {
    probe.pragma("locking_mode = EXCLUSIVE");
    probe.exec("BEGIN EXCLUSIVE");
    probe.exec("ROLLBACK");
    return false;
  } catch (err) {
    const code = (err as { code?: string }).code ?? "";
    // SQLITE_NOTADB and friends: not in use, just not a database any more.
    return code.startsWith("SQLITE_BUSY") || code.startsWith("SQLITE_LOCKED");
  } finally {
    probe.close();
  }
}

export type BackupResult = { file: string; bytes: number; manifest: BackupManifest };

/**
 * Write a backup of the data dir to `file` (a .tar.gz). The database is copied
 * with SQLite's backup API in one step, so the copy is one consistent
 * snapshot even while the server writes. The archive is written next to
 * `file` under a temporary name and renamed at the end: a failed or
 * interrupted backup never leaves a half-written file behind.
 */
export async function createBackup(file: string, opts: { force?: boolean; e?: Env } = {}): Promise<BackupResult> {
  const e = opts.e ?? env();
  const source = databasePath(e);
  const target = path.resolve(file);
  if (!exists(source)) throw new BackupError(`There is no database to back up at ${source}.`);
  if (exists(target)) {
    if (fs.statSync(target).isDirectory()) throw new BackupError(`${file} is a directory; name the archive file to write, e.g. ${path.join(file, "moiety-backup.tar.gz")}.`);
    if (!opts.force) throw new BackupError(`${file} already exists; add --force to replace it.`);
  }
  if (!exists(path.dirname(target))) throw new BackupError(`The directory ${path.dirname(target)} does not exist.`);

  const work = fs.mkdtempSync(path.join(os.tmpdir(), "moiety-backup-"));
  const partial = path.join(path.dirname(target), `.${path.basename(target)}.${randomBytes(4).toString("hex")}.partial`);
  try {
    const snapshot = path.join(work, "moiety.db");
    const live = new Database(source, { readonly: true, fileMustExist: true, timeout: 5000 });
    try {
      // The first step only opens the backup; returning a huge page count makes
      // the next step copy everything inside one read transaction (a step-wise
      // copy restarts whenever the server writes in between).
      await live.backup(snapshot, { progress: () => 0x7fffffff });
    } catch (err) {
      throw new BackupError(`Cannot read the database ${source}: ${err instanceof Error ? err.message : err}`);
    } finally {
      live.close();
    }

    const copy = new Database(snapshot);
    let counts: Omit<BackupCounts, "mediaFiles" | "tlsFiles" | "authSecret">;
    let origin: string | null;
    try {
      // One self-contained file in the archive; the server turns WAL back on.
      copy.pragma("journal_mode = DELETE");
      const verdict = integrity(copy);
      if (verdict !== "ok") throw new BackupError(`The database ${source} is damaged (integrity check: ${verdict}); no backup written.`);
      counts = { conversations: countRows(copy, "Conversation"), messages: countRows(copy, "Message") };
      origin = recordedOrigin(copy) ?? e.origin;
    } finally {
      copy.close();
    }

    const media = filesUnder(mediaDir(e), true);
    const tls = filesUnder(tlsDir(e), false);
    const secretFile = path.join(e.dataDir, "auth-secret");
    const hasSecret = exists(secretFile) && fs.statSync(secretFile).isFile();
    const manifest: BackupManifest = {
      format: BACKUP_FORMAT,
      version: BACKUP_VERSION,
      createdAt: new Date().toISOString(),
      origin,
      counts: { ...counts, mediaFiles: media.length, tlsFiles: tls.length, authSecret: hasSecret },
    };
    const entries: TarEntry[] = [
      { name: "manifest.json", type: "file", data: Buffer.from(JSON.stringify(manifest, null, 2) + "\n") },
      { name: "moiety.db", type: "file", path: snapshot },
    ];
    if (hasSecret) entries.push({ name: "auth-secret", type: "file", path: secretFile });
    if (tls.length) entries.push({ name: "tls", type: "dir" }, ...tls.map((f): TarEntry => ({ name: `tls/${f}`, type: "file", path: path.join(tlsDir(e), f) })));
    entries.push({ name: "media", type: "dir" }, ...media.map((f): TarEntry => ({ name: `media/${f}`, type: "file", path: path.join(mediaDir(e), f) })));

    // The archive holds the signing keys and the session secret: owner-only from the first byte.
    await pipeline(Readable.from(tarStream(entries)), createGzip(), fs.createWriteStream(partial, { mode: 0o600, flags: "wx" }));
    fs.renameSync(partial, target);
    return { file: target, bytes: fs.statSync(target).size, manifest };
  } finally {
    fs.rmSync(partial, { force: true });
    fs.rmSync(work, { recursive: true, force: true });
  }
}

// ─── restore ─────────────────────────────────────────────────────────────────

function readManifest(stage: string, archive: string): BackupManifest {
  let manifest: BackupManifest;
  try {
    manifest = JSON.parse(fs.readFileSync(path.join(stage, "manifest.json"), "utf8"));
  } catch {
    throw new BackupError(`${archive} is not a Moiety backup (no readable manifest.json).`);
  }
  if (manifest?.format !== BACKUP_FORMAT) throw new BackupError(`${archive} is not a Moiety backup (its manifest says "${String(manifest?.format)}").`);
  if (typeof manifest.version !== "number" || manifest.version > BACKUP_VERSION) {
    throw new BackupError(`${archive} was written by a newer Moiety (backup format ${manifest.version}); update Moiety first.`);
  }
  return manifest;
}

/** Check the unpacked database; returns its counts. */
function verifyDatabase(file: string, archive: string): { conversations: number; messages: number } {
  if (!exists(file)) throw new BackupError(`${archive} is not a Moiety backup (it has no moiety.db).`);
  let db: Database.Database;
  try {
    db = new Database(file, { fileMustExist: true });
  } catch (err) {
    throw new BackupError(`The database in ${archive} cannot be opened: ${err instanceof Error ? err.message : err}.`);
  }
  try {
    const verdict = integrity(db);
    if (verdict !== "ok") throw new BackupError(`The database in ${archive} is damaged (integrity check: ${verdict}).`);
    if (!db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'Owner'").get()) {
      throw new BackupError(`The database in ${archive} is not a Moiety database.`);
    }
    return { conversations: countRows(db, "Conversation"), messages: countRows(db, "Message") };
  } catch (err) {
    if (err instanceof BackupError) throw err;
    throw new BackupError(`The database in ${archive} is damaged: ${err instanceof Error ? err.message : err}.`);
  } finally {
    db.close();
  }
}

export type RestoreResult = {
  dataDir: string;
  manifest: BackupManifest;
  conversations: number;
  messages: number;
  mediaFiles: number;
  /** Where the files that were replaced went, when there were any. */
  replacedInto: string | null;
};

/**
 * Restore a backup into the data dir. Refuses while the current database is
 * open anywhere, refuses to replace a database without `force`, and refuses
 * an archive that unpacks to far more than its size without `allowLarge`.
 *
 * A data dir that does not exist yet is staged next to it and renamed into
 * place in one step. An existing one (often a mount point, which cannot be
 * renamed) is staged inside itself, on the same file system, and its entries
 * are swapped one by one after the check: the old ones move to
 * `.replaced-<time>/`, the new ones take their place.
 */
export async function restoreBackup(file: string, opts: { force?: boolean; allowLarge?: boolean; e?: Env } = {}): Promise<RestoreResult> {
  const e = opts.e ?? env();
  const archive = path.resolve(file);
  if (!exists(archive)) throw new BackupError(`No such file: ${file}.`);
  if (!fs.statSync(archive).isFile()) throw new BackupError(`${file} is not a file.`);

  const dataDir = e.dataDir;
  const dbFile = databasePath(e);
  const dirExists = exists(dataDir);
  if (dirExists && !fs.statSync(dataDir).isDirectory()) throw new BackupError(`The data dir ${dataDir} is not a directory.`);
  if (exists(dbFile)) {
    if (databaseInUse(dbFile)) {
      throw new BackupError(`The database in ${dataDir} is in use (is the server running?); stop Moiety before restoring into it.`);
    }
    if (!opts.force) throw new BackupError(`${dataDir} already has a database; add --force to replace it (the current files are kept aside).`);
  }

  let stage: string;
  if (dirExists) stage = fs.mkdtempSync(path.join(dataDir, ".restore-"));
  else {
    fs.mkdirSync(path.dirname(dataDir), { recursive: true });
    stage = fs.mkdtempSync(`${dataDir}.restore-`);
  }
  try {
    await unpackBackup(archive, stage, opts.allowLarge ? Infinity : unpackLimit(fs.statSync(archive).size));
    const manifest = readManifest(stage, archive);
    const counts = verifyDatabase(path.join(stage, "moiety.db"), archive);
    fs.rmSync(path.join(stage, "manifest.json"));
    fs.mkdirSync(path.join(stage, "media"), { recursive: true, mode: 0o700 });
    const mediaFiles = filesUnder(path.join(stage, "media"), true).length;

    let replacedInto: string | null = null;
    if (!dirExists) {
      fs.renameSync(stage, dataDir);
    } else {
      // Checked again right before the swap: a server may have started meanwhile.
      if (exists(dbFile) && databaseInUse(dbFile)) {
        throw new BackupError(`The database in ${dataDir} is in use (is the server running?); stop Moiety before restoring into it.`);
      }
      const stamp = new Date().toISOString().replace(/[:.]/g, "-");
      const aside = path.join(dataDir, `.replaced-${stamp}`);
      for (const name of REPLACED) {
        const current = path.join(dataDir, name);
        if (!exists(current)) continue;
        fs.mkdirSync(aside, { recursive: true, mode: 0o700 });
        fs.renameSync(current, path.join(aside, name));
        replacedInto = aside;
      }
      for (const name of RESTORED) {
        const fresh = path.join(stage, name);
        if (exists(fresh)) fs.renameSync(fresh, path.join(dataDir, name));
      }
      fs.rmSync(stage, { recursive: true, force: true });
      // Nothing but an empty media dir was replaced: there is nothing to keep.
      if (replacedInto && filesUnder(replacedInto, false).length === 0) {
        fs.rmSync(replacedInto, { recursive: true, force: true });
        replacedInto = null;
      }
    }
    return { dataDir, manifest, ...counts, mediaFiles, replacedInto };
  } catch (err) {
    fs.rmSync(stage, { recursive: true, force: true });
    throw err;
  }
}
