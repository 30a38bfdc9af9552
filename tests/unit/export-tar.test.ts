import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { gzipSync } from "node:zlib";
import Database from "better-sqlite3";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { BackupError, createBackup, databaseInUse, formatBytes, restoreBackup } from "@/lib/domain/backup";
import { parseEnv } from "@/lib/env";
import { Header } from "tar";
import { readTar, tarStream, TarFormatError, type TarEntry } from "@/lib/domain/tar";

// The tar writing and reading behind backups and exports (node-tar, through
// lib/domain/tar.ts), and the archive checks of restore (hostile names,
// damage, live databases, links), and backups written before node-tar.

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "moiety-unit-tar-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

async function bytesOf(entries: TarEntry[]): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of tarStream(entries)) chunks.push(c);
  return Buffer.concat(chunks);
}

async function read(archive: Buffer, chunkSize = 777): Promise<{ name: string; type: string; mode: number; data: string }[]> {
  const out: { name: string; type: string; mode: number; data: string }[] = [];
  async function* chunks() {
    for (let i = 0; i < archive.length; i += chunkSize) yield archive.subarray(i, i + chunkSize);
  }
  await readTar(chunks(), (h) => {
    const entry = { name: h.name, type: h.type, mode: h.mode, data: "" };
    out.push(entry);
    const parts: Buffer[] = [];
    return { write: (c) => void parts.push(Buffer.from(c)), end: () => void (entry.data = Buffer.concat(parts).toString("utf8")) };
  });
  return out;
}

const hasTar = spawnSync("tar", ["--version"]).status === 0;

describe("tar writer and reader", () => {
  const longName = `media/${"d".repeat(90)}/${"f".repeat(90)}.txt`;
  const onDisk = path.join(tmp, "on-disk.txt");
  fs.writeFileSync(onDisk, "from disk\n".repeat(200));
  const entries: TarEntry[] = [
    { name: "dir", type: "dir" },
    { name: "dir/hello.txt", type: "file", data: Buffer.from("hello ünïcode\n"), mode: 0o644 },
    { name: "empty", type: "file", data: Buffer.alloc(0) },
    { name: "exact-block", type: "file", data: Buffer.alloc(512, 0x61) },
    { name: "disk.txt", type: "file", path: onDisk },
    { name: longName, type: "file", data: Buffer.from("long") },
  ];

  it("round-trips files, directories, empty files and long names in any chunking", async () => {
    const archive = await bytesOf(entries);
    expect(archive.length % 512).toBe(0);
    for (const size of [1, 511, 512, 777, 1 << 20]) {
      const got = await read(archive, size);
      expect(got.map((e) => [e.name, e.type])).toEqual(entries.map((e) => [e.name, e.type]));
      expect(got[1]).toMatchObject({ data: "hello ünïcode\n", mode: 0o644 });
      expect(got[2].data).toBe("");
      expect(got[3].data).toBe("a".repeat(512));
      expect(got[4].data).toBe("from disk\n".repeat(200));
      expect(got[5].data).toBe("long");
    }
  });

  it("writes archives GNU tar reads, and reads GNU tar's ustar archives", async () => {
    expect(hasTar).toBe(true);
    const archive = await bytesOf(entries);
    const file = path.join(tmp, "ours.tar.gz");
    fs.writeFileSync(file, gzipSync(archive));
    const out = path.join(tmp, "unpacked");
    fs.mkdirSync(out);
    const x = spawnSync("tar", ["-xzf", file, "-C", out]);
    expect(x.stderr.toString()).toBe("");
    expect(fs.readFileSync(path.join(out, "dir/hello.txt"), "utf8")).toBe("hello ünïcode\n");
    expect(fs.readFileSync(path.join(out, longName), "utf8")).toBe("long");

    const theirs = spawnSync("tar", ["--format=ustar", "-cf", "-", "-C", out, "dir", "disk.txt"]);
    expect(theirs.status).toBe(0);
    const got = await read(theirs.stdout);
    expect(got.filter((e) => e.type === "file").map((e) => [e.name, Buffer.byteLength(e.data)])).toEqual([
      ["dir/hello.txt", Buffer.byteLength("hello ünïcode\n")],
      ["disk.txt", 2000],
    ]);
  });

  it("round-trips arbitrary names and contents (property)", async () => {
    const segment = fc.stringMatching(/^[A-Za-z0-9._-]{1,40}$/).filter((s) => s !== "." && s !== "..");
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(fc.record({ name: fc.array(segment, { minLength: 1, maxLength: 3 }).map((p) => p.join("/")), data: fc.uint8Array({ maxLength: 2000 }) }), {
          selector: (e) => e.name,
          maxLength: 8,
        }),
        async (files) => {
          const archive = await bytesOf(files.map((f) => ({ name: f.name, type: "file", data: f.data })));
          const got: { name: string; data: Buffer }[] = [];
          await readTar([archive], (h) => {
            const parts: Buffer[] = [];
            return { write: (c) => void parts.push(Buffer.from(c)), end: () => void got.push({ name: h.name, data: Buffer.concat(parts) }) };
          });
          expect(got.map((g) => g.name)).toEqual(files.map((f) => f.name));
          got.forEach((g, i) => expect(Buffer.compare(g.data, Buffer.from(files[i].data))).toBe(0));
        },
      ),
      { numRuns: 60 },
    );
  });

  it("refuses damaged, truncated, foreign and unsupported input", async () => {
    const archive = await bytesOf(entries);
    const flipped = Buffer.from(archive);
    flipped[10] ^= 0x20; // a name byte: the checksum no longer matches
    await expect(read(flipped)).rejects.toThrow(/checksum/);
    await expect(read(archive.subarray(0, 1500))).rejects.toThrow(/truncated/);
    await expect(read(Buffer.from("hello\n"))).rejects.toThrow(/not a tar archive/);
    for (const type of ["SymbolicLink", "Link", "CharacterDevice", "FIFO"] as const) {
      const link = Buffer.alloc(512);
      new Header({ path: "media/evil", type, linkpath: "/etc/passwd", size: 0, mode: 0o644, mtime: new Date() }).encode(link);
      await expect(read(Buffer.concat([link, Buffer.alloc(1024)])), type).rejects.toBeInstanceOf(TarFormatError);
    }
    // A gzip stream where the (unzipped) archive should be: node-tar would unzip it past restore's cap.
    await expect(read(gzipSync(archive))).rejects.toThrow(/not a tar archive/);
  });

  it("writes and reads names longer than ustar holds (pax headers)", async () => {
    const name = `media/${"x".repeat(300)}`;
    expect(await read(await bytesOf([{ name, type: "file", data: Buffer.from("long") }]))).toEqual([{ name, type: "file", mode: 0o600, data: "long" }]);
  });
});

// ─── backup archives ─────────────────────────────────────────────────────────

function dataDir(name: string, withDb = true): string {
  const dir = path.join(tmp, name);
  fs.mkdirSync(path.join(dir, "media"), { recursive: true });
  if (withDb) {
    const db = new Database(path.join(dir, "moiety.db"));
    db.pragma("journal_mode = WAL");
    db.exec(`CREATE TABLE "Owner" (id INTEGER PRIMARY KEY, username TEXT);
             CREATE TABLE "Conversation" (id TEXT PRIMARY KEY);
             CREATE TABLE "Message" (id TEXT PRIMARY KEY);
             CREATE TABLE "Setting" (key TEXT PRIMARY KEY, value TEXT);
             INSERT INTO "Owner" VALUES (1, 'alice');
             INSERT INTO "Conversation" VALUES ('c1');
             INSERT INTO "Message" VALUES ('m1'), ('m2');
             INSERT INTO "Setting" VALUES ('origin', '"https://social.example"');`);
    db.close();
  }
  fs.writeFileSync(path.join(dir, "auth-secret"), "secret\n", { mode: 0o600 });
  fs.writeFileSync(path.join(dir, "media", "att-0123456789abcdef01234567.png"), "png bytes");
  fs.writeFileSync(path.join(dir, "media", ".att-0123456789abcdef01234568.png.tmp"), "half an upload");
  return dir;
}

const envFor = (dir: string) => parseEnv({ MOIETY_DATA_DIR: dir });

function gzTar(entries: { name: string; data: string }[]): Promise<Buffer> {
  return bytesOf(entries.map((e) => ({ name: e.name, type: "file", data: Buffer.from(e.data) }))).then((b) => gzipSync(b));
}

describe("backup and restore archives", () => {
  it("backs up and restores the database, secret and media, skipping temp files", async () => {
    const source = dataDir("source");
    const file = path.join(tmp, "b1.tar.gz");
    const made = await createBackup(file, { e: envFor(source) });
    expect(made.manifest).toMatchObject({ format: "moiety-backup", version: 1, origin: "https://social.example" });
    expect(made.manifest.counts).toEqual({ conversations: 1, messages: 2, mediaFiles: 1, tlsFiles: 0, authSecret: true });
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    await expect(createBackup(file, { e: envFor(source) })).rejects.toThrow(/already exists; add --force/);
    await createBackup(file, { e: envFor(source), force: true });

    const target = path.join(tmp, "fresh", "data"); // does not exist yet: staged next to it, renamed in one step
    const restored = await restoreBackup(file, { e: envFor(target) });
    expect(restored).toMatchObject({ conversations: 1, messages: 2, mediaFiles: 1, replacedInto: null });
    expect(fs.readdirSync(target).sort()).toEqual(["auth-secret", "media", "moiety.db"]);
    expect(fs.readdirSync(path.join(target, "media"))).toEqual(["att-0123456789abcdef01234567.png"]);
    expect(fs.readdirSync(path.dirname(target))).toEqual(["data"]);
  });

  it("refuses a live database even with --force, and an existing one without it", async () => {
    const source = dataDir("live");
    const file = path.join(tmp, "b2.tar.gz");
    await createBackup(file, { e: envFor(source) });
    const open = new Database(path.join(source, "moiety.db"));
    open.prepare('SELECT count(*) FROM "Message"').get();
    try {
      expect(databaseInUse(path.join(source, "moiety.db"))).toBe(true);
      await expect(restoreBackup(file, { e: envFor(source), force: true })).rejects.toThrow(/in use/);
    } finally {
      open.close();
    }
    expect(databaseInUse(path.join(source, "moiety.db"))).toBe(false);
    await expect(restoreBackup(file, { e: envFor(source) })).rejects.toThrow(/already has a database; add --force/);
    const r = await restoreBackup(file, { e: envFor(source), force: true });
    expect(r.replacedInto).toMatch(/\.replaced-/);
    expect(fs.readdirSync(r.replacedInto!).sort()).toEqual(["auth-secret", "media", "moiety.db"]);
    expect(fs.readdirSync(source).filter((n) => n.startsWith(".restore-"))).toEqual([]);
  });

  it("refuses hostile and foreign archives without touching the data dir", async () => {
    const target = dataDir("victim", false);
    const before = fs.readdirSync(target).sort();
    const cases: [string, Buffer, RegExp][] = [
      ["traversal", await gzTar([{ name: "../escaped", data: "x" }]), /unexpected entry "\.\.\/escaped"/],
      ["absolute", await gzTar([{ name: "/etc/evil", data: "x" }]), /unexpected entry/],
      ["foreign", await gzTar([{ name: "notes.txt", data: "x" }]), /unexpected entry "notes.txt"/],
      ["nested", await gzTar([{ name: "media/../../x", data: "x" }]), /unexpected entry/],
      ["media as a file", await gzTar([{ name: "media", data: "x" }]), /unexpected entry "media"/],
      ["file under a file", await gzTar([{ name: "moiety.db/x", data: "x" }]), /unexpected entry "moiety.db\/x"/],
      ["no manifest", await gzTar([{ name: "moiety.db", data: "x" }]), /no readable manifest/],
      ["bad db", await gzTar([{ name: "manifest.json", data: '{"format":"moiety-backup","version":1}' }, { name: "moiety.db", data: "not sqlite" }]), /damaged|cannot be opened/],
      ["newer", await gzTar([{ name: "manifest.json", data: '{"format":"moiety-backup","version":99}' }]), /newer Moiety/],
      ["not gzip", Buffer.from("plain text"), /not a gzip file/],
    ];
    for (const [what, bytes, message] of cases) {
      const file = path.join(tmp, `${what.replace(/ /g, "-")}.tar.gz`);
      fs.writeFileSync(file, bytes);
      const err = await restoreBackup(file, { e: envFor(target) }).catch((e) => e);
      expect(err, what).toBeInstanceOf(BackupError);
      expect(err.message, what).toMatch(message);
      expect(err.message.includes("\n"), what).toBe(false);
      expect(fs.readdirSync(target).sort(), what).toEqual(before);
    }
    expect(fs.existsSync(path.join(tmp, "escaped"))).toBe(false);
    await expect(restoreBackup(path.join(tmp, "missing.tar.gz"), { e: envFor(target) })).rejects.toThrow(/No such file/);
  });

  it("restores a backup written before node-tar, by the hand-written ustar writer", async () => {
    // tests/fixtures/backup-v1-ustar.tar.gz: made by createBackup at commit 5e3e045
    // (manifest, database, secret, a TLS file, a media file; uid/gid 0, no pax).
    const target = path.join(tmp, "from-old");
    const restored = await restoreBackup(path.resolve(__dirname, "../fixtures/backup-v1-ustar.tar.gz"), { e: envFor(target) });
    expect(restored).toMatchObject({ conversations: 1, messages: 2, mediaFiles: 1, replacedInto: null });
    expect(restored.manifest).toMatchObject({ format: "moiety-backup", version: 1, origin: "https://old.example" });
    expect(fs.readdirSync(target).sort()).toEqual(["auth-secret", "media", "moiety.db", "tls"]);
    expect(fs.readFileSync(path.join(target, "auth-secret"), "utf8")).toBe("old secret\n");
    expect(fs.readFileSync(path.join(target, "media", "att-0123456789abcdef01234567.png"), "utf8")).toBe("png bytes from an old backup");
    expect(fs.readFileSync(path.join(target, "tls", "certificate.pem"), "utf8")).toMatch(/BEGIN CERTIFICATE/);
    expect(fs.statSync(path.join(target, "moiety.db")).mode & 0o777).toBe(0o600);
  });

  it("formats sizes for people", () => {
    expect([formatBytes(100), formatBytes(7794), formatBytes(3.4 * 1024 * 1024), formatBytes(250 * 1024 * 1024)]).toEqual(["100 B", "7.6 KB", "3.4 MB", "250 MB"]);
  });
});
