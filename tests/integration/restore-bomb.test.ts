import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGunzip, createGzip, gzipSync } from "node:zlib";
import { afterAll, describe, expect, it } from "vitest";
import { Header } from "tar";
import { readTar, tarStream, type TarEntry } from "@/lib/domain/tar";
import { MOIETY_CLI, ROOT, runCli, tempDataDir } from "../helpers/server";

// `moiety restore` of decompression bombs: a ~1 MiB .tar.gz that unpacks to
// 1 GiB of zeros, once announced by a tar header and once hidden after the
// end of the archive, where no header counts it. Each is refused while it
// streams, in plain words, quickly, in bounded memory, leaving nothing behind.
// A real backup that compresses unusually well is refused too, and restored
// with --allow-large.

const work = tempDataDir("moiety-bomb-");
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

const MiB = 1024 * 1024;
const MANIFEST = Buffer.from(JSON.stringify({ format: "moiety-backup", version: 1, createdAt: new Date().toISOString(), origin: null, counts: {} }));

/**
 * A gzip file of several members (gunzip reads them as one stream): `head`,
 * then 1 GiB of zeros as 1,024 copies of one compressed MiB. Written with
 * zlib, streaming, in well under a second.
 */
async function bomb(file: string, head: Buffer): Promise<number> {
  const zeros = gzipSync(Buffer.alloc(MiB), { level: 9 });
  async function* members() {
    yield gzipSync(head);
    for (let i = 0; i < 1024; i++) yield zeros;
  }
  await pipeline(Readable.from(members()), fs.createWriteStream(file));
  return fs.statSync(file).size;
}

/** One ustar header block, encoded by node-tar: what any tar writer would put there. */
function entry(name: string, size: number): Buffer {
  const block = Buffer.alloc(512);
  new Header({ path: name, type: "File", size, mode: 0o600, mtime: new Date() }).encode(block);
  return block;
}
const pad = (n: number) => Buffer.alloc((512 - (n % 512)) % 512);

/** Run `moiety restore` and sample the process's peak memory (VmHWM) until it exits. */
function restore(args: string[], dataDir: string): Promise<{ code: number | null; stderr: string; ms: number; peakMiB: number }> {
  return new Promise((resolve) => {
    const started = Date.now();
    const child = spawn(process.execPath, [MOIETY_CLI, "restore", ...args], { cwd: ROOT, env: { ...process.env, MOIETY_DATA_DIR: dataDir }, stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    let peakKiB = 0;
    child.stderr.on("data", (d) => (stderr += String(d)));
    const sample = setInterval(() => {
      try {
        const hwm = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${child.pid}/status`, "utf8"));
        if (hwm) peakKiB = Math.max(peakKiB, Number(hwm[1]));
      } catch {
        // exited
      }
    }, 25);
    child.on("exit", (code) => {
      clearInterval(sample);
      resolve({ code, stderr, ms: Date.now() - started, peakMiB: Math.round(peakKiB / 1024) });
    });
  });
}

/** What is left next to and inside `dataDir` (staging dirs would show here). */
const leftovers = (dataDir: string) => ({
  beside: fs.readdirSync(path.dirname(dataDir)).filter((n) => n.startsWith(path.basename(dataDir))),
  inside: fs.existsSync(dataDir) ? fs.readdirSync(dataDir) : null,
});

const REFUSED = /^moiety restore: \S+ would unpack to more than \d+ MB, over 100 times its own 1\.0 MB; Moiety backups never compress that well, so it was refused and nothing was restored\. If you made this backup yourself and trust it, run the restore again with --allow-large\.$/;

describe("moiety restore refuses decompression bombs", () => {
  it("1 GiB announced by a tar header: refused before a byte of it is written", async () => {
    const file = path.join(work, "announced.tar.gz");
    const head = Buffer.concat([entry("manifest.json", MANIFEST.length), MANIFEST, pad(MANIFEST.length), entry("moiety.db", 1024 * MiB)]);
    const size = await bomb(file, head);
    expect(size).toBeLessThan(1.1 * MiB);
    const dataDir = path.join(work, "fresh", "data");
    const r = await restore([file], dataDir);
    console.log(`announced bomb (${(size / MiB).toFixed(2)} MiB → 1 GiB): refused in ${r.ms} ms, peak ${r.peakMiB} MiB`);
    expect(r.code).not.toBe(0);
    expect(r.stderr.trim()).toMatch(REFUSED);
    expect(leftovers(dataDir)).toEqual({ beside: [], inside: null });
    expect(r.ms).toBeLessThan(20_000);
    expect(r.peakMiB).toBeLessThan(300);
  });

  it("1 GiB hidden after the end of the archive: refused at the cap, nothing left in the data dir", async () => {
    const file = path.join(work, "hidden.tar.gz");
    const head = Buffer.concat([entry("manifest.json", MANIFEST.length), MANIFEST, pad(MANIFEST.length), Buffer.alloc(1024)]);
    const size = await bomb(file, head);
    const dataDir = path.join(work, "existing");
    fs.mkdirSync(dataDir);
    const r = await restore([file], dataDir);
    console.log(`hidden bomb (${(size / MiB).toFixed(2)} MiB → 1 GiB): refused in ${r.ms} ms, peak ${r.peakMiB} MiB`);
    expect(r.code).not.toBe(0);
    expect(r.stderr.trim()).toMatch(REFUSED);
    expect(leftovers(dataDir)).toEqual({ beside: ["existing"], inside: [] });
    expect(r.ms).toBeLessThan(30_000);
    expect(r.peakMiB).toBeLessThan(300);
  });

  it("a real backup padded with 100 MiB of zeros: refused, then restored with --allow-large", async () => {
    const source = path.join(work, "source");
    const setup = await runCli(["setup", "--username", "alice", "--display-name", "Alice", "--password-stdin"], { dataDir: source, stdin: "a long enough password" });
    expect(setup.code, setup.stderr).toBe(0);
    const backup = path.join(work, "real.tar.gz");
    expect((await runCli(["backup", backup], { dataDir: source })).code).toBe(0);

    // The same archive with one more media file: 100 MiB of zeros.
    const entries: TarEntry[] = [];
    await readTar(fs.createReadStream(backup).pipe(createGunzip()), (h) => {
      if (h.type === "dir") return void entries.push({ name: h.name, type: "dir" });
      const e = { name: h.name, chunks: [] as Buffer[] };
      return { write: (c) => e.chunks.push(Buffer.from(c)), end: () => entries.push({ name: e.name, type: "file", data: Buffer.concat(e.chunks) }) };
    });
    expect(entries.map((e) => e.name)).toContain("moiety.db");
    entries.push({ name: "media/zeros.bin", type: "file", data: Buffer.alloc(100 * MiB) });
    const padded = path.join(work, "padded.tar.gz");
    await pipeline(Readable.from(tarStream(entries)), createGzip(), fs.createWriteStream(padded));
    expect(fs.statSync(padded).size).toBeLessThan(1 * MiB);

    const dataDir = path.join(work, "restored");
    const refused = await restore([padded], dataDir);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr.trim()).toMatch(/^moiety restore: \S+ would unpack to more than 64 MB, over 100 times its own \d+ KB; .* --allow-large\.$/);
    expect(fs.existsSync(dataDir)).toBe(false);

    const allowed = await restore([padded, "--allow-large"], dataDir);
    expect(allowed.code, allowed.stderr).toBe(0);
    expect(fs.statSync(path.join(dataDir, "media", "zeros.bin")).size).toBe(100 * MiB);
    expect(fs.existsSync(path.join(dataDir, "moiety.db"))).toBe(true);
  });
});
