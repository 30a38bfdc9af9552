import fs from "node:fs";

// A minimal POSIX ustar writer and reader, enough for Moiety's own backups and
// exports: regular files and directories, names up to 255 bytes, no links, no
// pax or GNU extensions. Written by hand to keep the dependency list short;
// the archives it writes open with GNU tar, bsdtar and every unpacker.
//
// Layout of one entry: a 512-byte header, the file's bytes, zero padding to
// the next 512-byte boundary. The archive ends with two zero blocks.

const BLOCK = 512;

export class TarFormatError extends Error {}

export type TarEntry =
  | { name: string; type: "dir"; mode?: number; mtime?: Date }
  | { name: string; type: "file"; data: Uint8Array; mode?: number; mtime?: Date }
  /** A file on disk, streamed; `size` is what the header promises (taken from stat when omitted). */
  | { name: string; type: "file"; path: string; size?: number; mode?: number; mtime?: Date };

export type TarHeader = { name: string; type: "file" | "dir"; size: number; mode: number; mtime: Date };

/** Split a path into ustar's prefix (155 bytes) and name (100 bytes) fields. */
function splitName(name: string): [prefix: string, base: string] {
  if (Buffer.byteLength(name) <= 100) return ["", name];
  for (let i = name.lastIndexOf("/"); i > 0; i = name.lastIndexOf("/", i - 1)) {
    const prefix = name.slice(0, i);
    const base = name.slice(i + 1);
    if (Buffer.byteLength(prefix) <= 155 && Buffer.byteLength(base) <= 100 && base.length > 0) return [prefix, base];
  }
  throw new TarFormatError(`name too long for a tar archive: ${name}`);
}

function writeOctal(block: Buffer, offset: number, length: number, value: number): void {
  const text = Math.floor(value).toString(8);
  if (text.length > length - 1) throw new TarFormatError(`value ${value} does not fit a tar header field`);
  block.write(text.padStart(length - 1, "0") + "\0", offset, length, "latin1");
}

function checksum(block: Buffer): number {
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : block[i];
  return sum;
}

export function tarHeader(h: { name: string; type: "file" | "dir"; size: number; mode: number; mtime: Date }): Buffer {
  const name = h.type === "dir" && !h.name.endsWith("/") ? h.name + "/" : h.name;
  const [prefix, base] = splitName(name);
  const block = Buffer.alloc(BLOCK);
  block.write(base, 0, 100, "utf8");
  writeOctal(block, 100, 8, h.mode & 0o7777);
  writeOctal(block, 108, 8, 0); // uid
  writeOctal(block, 116, 8, 0); // gid
  writeOctal(block, 124, 12, h.type === "dir" ? 0 : h.size);
  writeOctal(block, 136, 12, h.mtime.getTime() / 1000);
  block.write(h.type === "dir" ? "5" : "0", 156, 1, "latin1");
  block.write("ustar\0", 257, 6, "latin1");
  block.write("00", 263, 2, "latin1");
  block.write(prefix, 345, 155, "utf8");
  // Six octal digits, NUL, space: what tar itself writes.
  block.write(checksum(block).toString(8).padStart(6, "0") + "\0 ", 148, 8, "latin1");
  return block;
}

function padding(size: number): Buffer {
  const rest = size % BLOCK;
  return Buffer.alloc(rest === 0 ? 0 : BLOCK - rest);
}

/** The archive as a stream of chunks. Files on disk are read as they are reached. */
export async function* tarStream(entries: Iterable<TarEntry> | AsyncIterable<TarEntry>): AsyncGenerator<Buffer> {
  for await (const e of entries) {
    const mtime = e.mtime ?? new Date();
    if (e.type === "dir") {
      yield tarHeader({ name: e.name, type: "dir", size: 0, mode: e.mode ?? 0o700, mtime });
      continue;
    }
    if ("data" in e) {
      yield tarHeader({ name: e.name, type: "file", size: e.data.length, mode: e.mode ?? 0o600, mtime });
      yield Buffer.from(e.data);
      yield padding(e.data.length);
      continue;
    }
    const size = e.size ?? (await fs.promises.stat(e.path)).size;
    yield tarHeader({ name: e.name, type: "file", size, mode: e.mode ?? 0o600, mtime });
    let sent = 0;
    if (size > 0) {
      for await (const chunk of fs.createReadStream(e.path, { start: 0, end: size - 1 })) {
        const buf = (chunk as Buffer).subarray(0, size - sent);
        sent += buf.length;
        if (buf.length) yield buf;
        if (sent === size) break;
      }
    }
    // The header promised `size` bytes; a file that shrank meanwhile must not shift the archive.
    if (sent !== size) throw new TarFormatError(`${e.path} changed while it was being archived`);
    yield padding(size);
  }
  yield Buffer.alloc(BLOCK * 2);
}

// ─── reading ─────────────────────────────────────────────────────────────────

function readString(block: Buffer, offset: number, length: number): string {
  const field = block.subarray(offset, offset + length);
  const end = field.indexOf(0);
  return field.subarray(0, end === -1 ? length : end).toString("utf8");
}

function readOctal(block: Buffer, offset: number, length: number, what: string): number {
  const field = block.subarray(offset, offset + length);
  if (field[0] & 0x80) throw new TarFormatError(`unsupported binary ${what} field`);
  const text = field.toString("latin1").replace(/\0.*$/s, "").trim();
  if (text === "") return 0;
  if (!/^[0-7]+$/.test(text)) throw new TarFormatError(`bad ${what} field in a tar header`);
  return parseInt(text, 8);
}

export function parseTarHeader(block: Buffer): TarHeader {
  const stored = readOctal(block, 148, 8, "checksum");
  if (stored !== checksum(block)) throw new TarFormatError("a tar header's checksum does not match (damaged archive)");
  if (block.subarray(257, 262).toString("latin1") !== "ustar") throw new TarFormatError("not a ustar archive");
  const flag = String.fromCharCode(block[156]);
  const type = flag === "0" || flag === "\0" ? "file" : flag === "5" ? "dir" : null;
  if (!type) throw new TarFormatError(`unsupported tar entry type "${flag}"`);
  const base = readString(block, 0, 100);
  const prefix = readString(block, 345, 155);
  const name = (prefix ? `${prefix}/${base}` : base).replace(/\/$/, "");
  return {
    name,
    type,
    size: type === "dir" ? 0 : readOctal(block, 124, 12, "size"),
    mode: readOctal(block, 100, 8, "mode"),
    mtime: new Date(readOctal(block, 136, 12, "mtime") * 1000),
  };
}

/** What to do with one entry's bytes: `write` each chunk in order, then `end`. */
export type TarSink = { write(chunk: Buffer): void; end(): void };

/**
 * Read an archive from a stream of chunks. `onEntry` sees each header and
 * returns a sink for a file's bytes (or nothing to skip them). Throws
 * TarFormatError for a damaged or truncated archive.
 */
export async function readTar(source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, onEntry: (header: TarHeader) => TarSink | void): Promise<void> {
  let pending: Buffer = Buffer.alloc(0);
  let body: { remaining: number; pad: number; sink: TarSink | void } | null = null;
  let finished = false;
  let entries = 0;

  const consume = () => {
    while (!finished) {
      if (body) {
        if (body.remaining > 0) {
          if (pending.length === 0) return;
          const take = Math.min(body.remaining, pending.length);
          body.sink?.write(pending.subarray(0, take));
          pending = pending.subarray(take);
          body.remaining -= take;
          if (body.remaining > 0) return;
          body.sink?.end();
        }
        if (pending.length < body.pad) return;
        pending = pending.subarray(body.pad);
        body = null;
        continue;
      }
      if (pending.length < BLOCK) return;
      const block = pending.subarray(0, BLOCK);
      pending = pending.subarray(BLOCK);
      if (block.every((b) => b === 0)) {
        finished = true;
        return;
      }
      const header = parseTarHeader(block);
      entries++;
      const sink = onEntry(header);
      body = { remaining: header.size, pad: padding(header.size).length, sink };
      if (header.size === 0) {
        sink?.end();
        body.remaining = 0;
      }
    }
  };

  for await (const chunk of source) {
    if (finished) continue; // trailing zero blocks and padding
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    pending = pending.length ? Buffer.concat([pending, buf]) : buf;
    consume();
  }
  if (!finished) throw new TarFormatError(entries === 0 ? "not a tar archive" : "the archive is truncated");
}
