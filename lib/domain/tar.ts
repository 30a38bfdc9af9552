import fs from "node:fs";
import { Header, Pack, Parser, ReadEntry } from "tar";

// Moiety's backups and exports as tar archives, written and read by the
// maintained `tar` package (node-tar). What is ours is the narrow shape around
// it: entries come from memory or from files on disk under any archive name,
// and reading hands over only regular files and directories — a link, a
// device or a nested compressed stream in an archive is refused, never
// followed. Restore's own limits (names, sizes, the unpack cap) are in
// ./backup-unpack.ts.
//
// Archives written by the hand-written ustar code before it (plain ustar,
// uid/gid 0) read the same; tests/fixtures/backup-v1-ustar.tar.gz is one.

export class TarFormatError extends Error {}

export type TarEntry =
  | { name: string; type: "dir"; mode?: number; mtime?: Date }
  | { name: string; type: "file"; data: Uint8Array; mode?: number; mtime?: Date }
  /** A file on disk, streamed; `size` is what the header promises (taken from stat when omitted). */
  | { name: string; type: "file"; path: string; size?: number; mode?: number; mtime?: Date };

export type TarHeader = { name: string; type: "file" | "dir"; size: number; mode: number; mtime: Date };

/** One entry for node-tar's Pack, its bytes written by the caller. */
function packEntry(pack: Pack, h: { name: string; type: "file" | "dir"; size: number; mode: number; mtime: Date }): ReadEntry {
  const header = new Header({
    path: h.type === "dir" && !h.name.endsWith("/") ? `${h.name}/` : h.name,
    type: h.type === "dir" ? "Directory" : "File",
    size: h.type === "dir" ? 0 : h.size,
    mode: h.mode,
    mtime: h.mtime,
    uid: 0,
    gid: 0,
  });
  const entry = new ReadEntry(header);
  pack.write(entry);
  return entry;
}

/** Write to an entry, waiting while the archive's reader is behind (so a large file is never held whole). */
async function put(entry: ReadEntry, chunk: Buffer): Promise<void> {
  if (!entry.write(chunk)) await new Promise((resolve) => entry.once("drain", resolve));
}

async function addEntries(pack: Pack, entries: Iterable<TarEntry> | AsyncIterable<TarEntry>): Promise<void> {
  for await (const e of entries) {
    const mtime = e.mtime ?? new Date();
    if (e.type === "dir") {
      packEntry(pack, { name: e.name, type: "dir", size: 0, mode: e.mode ?? 0o700, mtime }).end();
      continue;
    }
    if ("data" in e) {
      const entry = packEntry(pack, { name: e.name, type: "file", size: e.data.length, mode: e.mode ?? 0o600, mtime });
      if (e.data.length > 0) await put(entry, Buffer.from(e.data));
      entry.end();
      continue;
    }
    const size = e.size ?? (await fs.promises.stat(e.path)).size;
    const entry = packEntry(pack, { name: e.name, type: "file", size, mode: e.mode ?? 0o600, mtime });
    let sent = 0;
    if (size > 0) {
      for await (const chunk of fs.createReadStream(e.path, { start: 0, end: size - 1 })) {
        const buf = (chunk as Buffer).subarray(0, size - sent);
        sent += buf.length;
        if (buf.length) await put(entry, buf);
        if (sent === size) break;
      }
    }
    // The header promised `size` bytes; a file that shrank meanwhile must not shift the archive.
    if (sent !== size) throw new TarFormatError(`${e.path} changed while it was being archived`);
    entry.end();
  }
}

/**
 * The archive (uncompressed) as a stream of chunks. Files on disk are read as
 * they are reached. Modes default to owner-only (0600 files, 0700 dirs);
 * owners are written as 0, as `portable` node-tar archives are.
 */
export function tarStream(entries: Iterable<TarEntry> | AsyncIterable<TarEntry>): AsyncIterable<Buffer> {
  const pack = new Pack({ portable: true });
  addEntries(pack, entries).then(
    () => pack.end(),
    (err) => pack.emit("error", err),
  );
  return pack;
}

/** What to do with one entry's bytes: `write` each chunk in order, then `end`. */
export type TarSink = { write(chunk: Buffer): void; end(): void };

/** node-tar's error codes, in the words restore reports. */
function describe(err: Error & { tarCode?: string; code?: string }): string {
  const text = `${err.tarCode ?? ""} ${err.message}`;
  if (/checksum/i.test(text)) return "a tar header's checksum does not match (damaged archive)";
  if (/truncated/i.test(text)) return "the archive is truncated";
  if (/unrecognized archive format/i.test(text)) return "not a tar archive";
  return err.message.replace(/^TAR_[A-Z_]+: /, "");
}

/**
 * Read an archive from a stream of chunks. `onEntry` sees each header and
 * returns a sink for a file's bytes (or nothing to skip them). Throws
 * TarFormatError for a damaged, truncated or foreign archive and for any
 * entry that is not a regular file or a directory; an error `onEntry` or a
 * sink throws ends the reading and is thrown as is.
 */
export async function readTar(source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, onEntry: (header: TarHeader) => TarSink | void): Promise<void> {
  // strict: every problem node-tar would only warn about is an error.
  // No brotli or zstd sniffing; gzip inside the archive is refused below.
  const parser = new Parser({ strict: true, brotli: false, zstd: false });
  let failure: unknown = null;
  let entries = 0;
  let first = true;
  const fail = (err: unknown) => {
    failure ??= err;
  };
  // Only zero blocks: an archive of nothing, which node-tar calls unrecognized.
  let onlyZeros = true;
  parser.on("error", (err: Error) => {
    const why = describe(err);
    if (entries > 0 || !(why === "not a tar archive" || why === "the archive is truncated")) return fail(new TarFormatError(why));
    // A stream that breaks off before its first entry was never an archive.
    if (!onlyZeros) fail(new TarFormatError("not a tar archive"));
  });
  parser.on("entry", (entry: ReadEntry) => {
    if (failure) return entry.resume();
    try {
      entries++;
      const type = entry.type === "File" || entry.type === "OldFile" ? "file" : entry.type === "Directory" ? "dir" : null;
      if (!type) throw new TarFormatError(`unsupported tar entry type "${entry.type}" for ${entry.path.slice(0, 80)} (only files and directories)`);
      const sink = onEntry({
        name: entry.path.replace(/\/$/, ""),
        type,
        size: type === "dir" ? 0 : entry.size,
        mode: entry.mode ?? 0,
        mtime: entry.mtime ?? new Date(0),
      });
      entry.on("data", (chunk: Buffer) => {
        if (failure) return;
        try {
          sink?.write(chunk);
        } catch (err) {
          fail(err);
        }
      });
      entry.on("end", () => {
        if (failure) return;
        try {
          sink?.end();
        } catch (err) {
          fail(err);
        }
      });
    } catch (err) {
      fail(err);
      entry.resume();
    }
  });
  // After the end-of-archive blocks node-tar keeps every further byte in one
  // growing buffer; the rest is still read (the caller's cap counts it, so
  // gigabytes hidden there are refused) but no longer handed over.
  let sawEnd = false;
  parser.on("eof", () => (sawEnd = true));
  const done = new Promise<void>((resolve) => {
    parser.on("end", () => resolve());
    parser.on("error", () => resolve());
  });

  for await (const chunk of source) {
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    // node-tar would unzip a gzip stream itself, past the caller's cap on what
    // was unpacked: an archive inside the (already unzipped) archive is refused.
    if (entries === 0 && onlyZeros) onlyZeros = buf.every((b) => b === 0);
    if (first && buf.length > 0) {
      first = false;
      if (buf[0] === 0x1f && buf[1] === 0x8b) throw new TarFormatError("not a tar archive (a compressed stream inside)");
    }
    if (sawEnd) continue;
    if (!parser.write(buf) && !failure) await new Promise((resolve) => parser.once("drain", resolve));
    if (failure) break;
  }
  if (!failure) {
    parser.end();
    await done;
  }
  if (failure) {
    parser.abort(failure instanceof Error ? failure : new Error(String(failure)));
    throw failure;
  }
  if (entries === 0 && !onlyZeros) throw new TarFormatError("not a tar archive");
}
