import fs from "node:fs";
import path from "node:path";
import { createGunzip } from "node:zlib";
import { BackupError, formatBytes } from "./backup-error";
import { readTar, TarFormatError, type TarHeader, type TarSink } from "./tar";

// Unpacking a backup archive (lib/domain/backup.ts restores from it): only the
// entries a backup has, no paths outside the staging dir, every file 0600 and
// every directory 0700, and no more bytes than a real backup could hold.

/** Top-level entries that are files, and the directories whose contents are kept. */
const TOP_FILES = new Set(["manifest.json", "moiety.db", "auth-secret"]);
const TOP_DIRS = new Set(["tls", "media"]);

/**
 * A name from the archive as a safe relative path, or an error: no absolute
 * paths, no "..", only the entries a backup has, each of the right kind.
 */
function checkedName(name: string, type: "file" | "dir", archive: string): string {
  const parts = name.split("/");
  const top = parts[0];
  const shapeOk =
    name !== "" &&
    !name.startsWith("/") &&
    !name.includes("\\") &&
    !name.includes("\0") &&
    !parts.some((p) => p === "" || p === "." || p === "..") &&
    (TOP_DIRS.has(top) ? parts.length > 1 || type === "dir" : TOP_FILES.has(top) && parts.length === 1 && type === "file");
  if (!shapeOk) throw new BackupError(`${archive} is not a Moiety backup (unexpected entry "${name.slice(0, 80)}").`);
  return parts.join(path.sep);
}

// ─── size caps ───────────────────────────────────────────────────────────────

/**
 * How far a backup may unpack: a few gzip bytes can stand for gigabytes of
 * zeros. A backup's database and media compress a few times at most (media
 * hardly at all), so anything unpacking to over RATIO times its size, past
 * FLOOR, is refused while it streams: before a file that would cross the cap
 * is opened (tar headers say each file's size), and at the cap for bytes the
 * headers do not announce.
 */
export const UNPACK_RATIO = 100;
export const UNPACK_FLOOR = 64 * 1024 * 1024;

export function unpackLimit(archiveBytes: number): number {
  return Math.max(UNPACK_FLOOR, UNPACK_RATIO * archiveBytes);
}

function tooLarge(archive: string, archiveBytes: number, limit: number): BackupError {
  return new BackupError(
    `${archive} would unpack to more than ${formatBytes(limit)}, over ${UNPACK_RATIO} times its own ${formatBytes(archiveBytes)}; ` +
      "Moiety backups never compress that well, so it was refused and nothing was restored. " +
      "If you made this backup yourself and trust it, run the restore again with --allow-large.",
  );
}

/** The chunks of `source`, failing once more than `limit` bytes have come. */
async function* capped(source: AsyncIterable<Buffer>, limit: number, error: () => Error): AsyncGenerator<Buffer> {
  let total = 0;
  for await (const chunk of source) {
    total += chunk.length;
    if (total > limit) throw error();
    yield chunk;
  }
}

/** Bytes free for this user on the file system holding `dir` (Infinity when unknown). */
function freeBytes(dir: string): number {
  try {
    const s = fs.statfsSync(dir);
    return s.bavail * s.bsize;
  } catch {
    return Infinity;
  }
}

/** Unpack `archive` (a .tar.gz) into the empty directory `into`, refusing past `limit` bytes. */
export async function unpackBackup(archive: string, into: string, limit: number): Promise<void> {
  const archiveBytes = fs.statSync(archive).size;
  const input = fs.createReadStream(archive);
  const gunzip = createGunzip();
  input.on("error", (err) => gunzip.destroy(err));
  input.pipe(gunzip);
  const seen = new Set<string>();
  let open: number | null = null; // the file being written, closed even when the archive breaks off
  let announced = 0; // bytes the headers so far promise
  const onEntry = (h: TarHeader): TarSink | void => {
    const rel = checkedName(h.name, h.type, archive);
    announced += 512 + Math.ceil(h.size / 512) * 512;
    if (announced > limit) throw tooLarge(archive, archiveBytes, limit);
    const free = h.size > 0 ? freeBytes(into) : Infinity;
    if (h.size > free) {
      throw new BackupError(`No space left to unpack ${archive}: ${h.name} alone needs ${formatBytes(h.size)}, and only ${formatBytes(free)} is free.`);
    }
    const target = path.join(into, rel);
    if (h.type === "dir") {
      fs.mkdirSync(target, { recursive: true, mode: 0o700 });
      return;
    }
    if (seen.has(rel)) throw new BackupError(`${archive} is not a Moiety backup (it holds ${h.name} twice).`);
    seen.add(rel);
    fs.mkdirSync(path.dirname(target), { recursive: true, mode: 0o700 });
    const fd = fs.openSync(target, "wx", 0o600);
    open = fd;
    return {
      write: (chunk) => {
        fs.writeSync(fd, chunk);
      },
      end: () => {
        open = null;
        fs.closeSync(fd);
      },
    };
  };
  try {
    await readTar(
      capped(gunzip, limit, () => tooLarge(archive, archiveBytes, limit)),
      onEntry,
    );
  } catch (err) {
    input.destroy();
    if (open !== null) fs.closeSync(open);
    if (err instanceof BackupError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "EACCES" || code === "EISDIR") throw new BackupError(`Cannot read ${archive}: ${(err as Error).message}.`);
    if (code === "ENOSPC") throw new BackupError(`No space left to unpack ${archive}.`);
    const why =
      err instanceof TarFormatError
        ? err.message
        : typeof code === "string" && code.startsWith("Z_")
          ? code === "Z_BUF_ERROR"
            ? "the archive is truncated"
            : "not a gzip file, or a damaged one"
          : err instanceof Error
            ? err.message
            : String(err);
    throw new BackupError(`${archive} is not a readable Moiety backup (${why}).`);
  }
}

