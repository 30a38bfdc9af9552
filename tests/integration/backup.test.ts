import { spawn } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import { gunzipSync, deflateSync } from "node:zlib";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readTar } from "@/lib/domain/tar";
import { actionId, Client } from "../helpers/http";
import { eventually, PASSWORD, startInstance, type Instance } from "../helpers/instances";
import { ROOT, runCli, startServer, tempDataDir, type TestServer } from "../helpers/server";

// Backups, restore and export against real instances, and what SIGINT/SIGTERM
// do to a server with deliveries in flight.
//
// alice and bob exchange DMs (one with an image); alice is backed up while
// running; the backup is restored into a fresh data dir, and a server started
// on it (on alice's address, as after moving to a new machine) serves the same
// conversations, the same key and the same media. That restored alice is then
// stopped with SIGTERM while her POSTs to a frozen bob are in flight.

let alice: Instance;
let bob: Instance;
let restored: TestServer | undefined;
let bobFrozen = false;
const work = tempDataDir("moiety-backup-files-");
const AP = { accept: "application/activity+json" };

beforeAll(async () => {
  [alice, bob] = await Promise.all([startInstance("alice"), startInstance("bob")]);
});
afterAll(async () => {
  if (bobFrozen) bob.process.kill("SIGCONT");
  await Promise.all([alice?.stop(), bob?.stop(), restored?.stop()]);
  fs.rmSync(work, { recursive: true, force: true });
});

function query<T>(dataDir: string, sql: string, ...params: unknown[]): T[] {
  const db = new Database(path.join(dataDir, "moiety.db"), { readonly: true, fileMustExist: true });
  try {
    return db.prepare(sql).all(...params) as T[];
  } finally {
    db.close();
  }
}

const integrity = (dataDir: string) => query<{ integrity_check: string }>(dataDir, "PRAGMA integrity_check").map((r) => r.integrity_check);

/** A valid 1×1 PNG. */
function png(): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, "latin1"), data]);
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([len, body, crc]);
  };
  const ihdr = Buffer.from([0, 0, 0, 1, 0, 0, 0, 1, 8, 2, 0, 0, 0]);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", ihdr),
    chunk("IDAT", deflateSync(Buffer.from([0, 255, 128, 0]))),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

function crc32(buf: Buffer): number {
  let c = ~0;
  for (const b of buf) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return ~c >>> 0;
}

/** The compose form's reply with one image, encoded as React encodes a FormData argument ("_1_" fields, root "0"). */
async function replyWithImage(c: Client, conversationId: string, text: string, image: Buffer, alt: string): Promise<unknown> {
  const form = new FormData();
  form.append("_1_conversationId", conversationId);
  form.append("_1_text", text);
  form.append("_1_image", new Blob([new Uint8Array(image)], { type: "image/png" }), "dot.png");
  form.append("_1_alt", alt);
  form.append("0", JSON.stringify(["$K1"]));
  const encoded = new Response(form);
  const res = await c.request("POST", `/messages/${conversationId}`, {
    headers: { "next-action": actionId("replyAction"), accept: "text/x-component", "content-type": encoded.headers.get("content-type")!, origin: c.base },
    body: Buffer.from(await encoded.arrayBuffer()),
  });
  const row = /^1:(\{.*\})$/m.exec(res.body);
  return row ? JSON.parse(row[1]) : { status: res.status, body: res.body.slice(0, 200) };
}

/** GET as bytes (the test client reads text), with the client's cookies. */
function getBytes(c: Client, pathname: string): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
  const url = new URL(pathname, c.base);
  const cookie = [...c.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
  return new Promise((resolve, reject) => {
    http
      .get({ host: url.hostname, port: url.port, path: url.pathname, headers: cookie ? { cookie } : {} }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (d) => chunks.push(d));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      })
      .on("error", reject);
  });
}

/** GET /api/events and keep it open; `closed` resolves once the server ends the stream. */
function openEventStream(c: Client): Promise<{ closed: Promise<boolean> }> {
  const url = new URL("/api/events", c.base);
  const cookie = [...c.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
  return new Promise((resolve, reject) => {
    http
      .get({ host: url.hostname, port: url.port, path: url.pathname, headers: { cookie, accept: "text/event-stream" } }, (res) => {
        if (res.statusCode !== 200) return reject(new Error(`events: ${res.statusCode}`));
        const closed = new Promise<boolean>((done) => {
          res.on("close", () => done(true));
          res.on("error", () => done(true));
        });
        res.resume();
        resolve({ closed });
      })
      .on("error", reject);
  });
}

async function untar(gz: Buffer): Promise<Map<string, Buffer>> {
  const files = new Map<string, Buffer>();
  await readTar([gunzipSync(gz)], (h) => {
    if (h.type !== "file") return;
    const parts: Buffer[] = [];
    return { write: (c) => void parts.push(Buffer.from(c)), end: () => void files.set(h.name, Buffer.concat(parts)) };
  });
  return files;
}

/** A conversation as `dm show --json` has it, without the per-delivery state. */
const withoutDeliveries = (shown: any) => ({ ...shown, messages: shown.messages.map(({ deliveries: _d, ...m }: any) => m) });

const oneLine = (stderr: string) => stderr.trim().split("\n");

describe("backup, restore and export", () => {
  let conv: string;
  let attachmentUrl: string;
  let image: string;
  let before: { list: any; show: any; key: string };
  const backup = path.join(work, "alice.tar.gz");

  // CLI processes take seconds each on a busy machine: waits read the database directly.
  it("alice and bob exchange DMs, one with an image", async () => {
    const sent = await alice.json(["dm", "send", bob.actor, "--text", "Hello Bob, <b>not bold</b>"]);
    conv = sent.conversationId;
    const bobConv = await eventually(async () => query<{ id: string }>(bob.dataDir, "SELECT id FROM Conversation")[0]?.id, "bob to receive the DM");
    expect((await bob.cli(["dm", "send", "--conversation", bobConv, "--text", "Hi Alice! <script>alert(1)</script>"])).code).toBe(0);

    const c = new Client(alice.url);
    expect((await c.login("alice", PASSWORD)).ok).toBe(true);
    expect(await replyWithImage(c, conv, "A dot for you", png(), "A single red dot")).toMatchObject({ ok: true });

    await eventually(async () => {
      const [m] = query<{ n: number }>(alice.dataDir, "SELECT count(*) AS n FROM Message WHERE conversationId = ?", conv);
      const [d] = query<{ n: number }>(alice.dataDir, "SELECT count(*) AS n FROM Delivery WHERE state != 'delivered'");
      return m.n === 3 && d.n === 0;
    }, "bob's reply at alice's, and her messages delivered");
    const rows = query<{ direction: string; attachments: string }>(alice.dataDir, "SELECT direction, attachments FROM Message ORDER BY published");
    expect(rows.map((r) => r.direction)).toEqual(["out", "in", "out"]);
    attachmentUrl = JSON.parse(rows[2].attachments)[0].url;
    expect(attachmentUrl).toMatch(new RegExp(`^${alice.url}/media/att-[0-9a-f]{24}\\.png$`));
    image = attachmentUrl.split("/").pop()!;
  });

  it("moiety backup takes an online snapshot of the database, secret and media", async () => {
    const [list, show, actorRes] = await Promise.all([alice.json(["dm", "list"]), alice.json(["dm", "show", conv]), new Client(alice.url).get("/users/alice", AP)]);
    before = { list, show, key: JSON.parse(actorRes.body).publicKey.publicKeyPem };
    expect(before.key).toMatch(/^-----BEGIN PUBLIC KEY-----/);

    const r = await alice.cli(["backup", backup]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toMatch(
      new RegExp(`^Backup written to ${backup} \\(\\d+(\\.\\d)? KB\\): 1 conversation, 3 messages, 1 media file; includes signing keys, session secret\\.$`),
    );
    expect(fs.statSync(backup).mode & 0o777).toBe(0o600);
    const files = await untar(fs.readFileSync(backup));
    expect([...files.keys()].sort()).toEqual(["auth-secret", "manifest.json", `media/${image}`, "moiety.db"]);
    expect(JSON.parse(files.get("manifest.json")!.toString())).toMatchObject({ format: "moiety-backup", version: 1, origin: alice.url });
    expect(files.get(`media/${image}`)).toEqual(png());
  });

  it("refuses with one line: an existing backup file, a live data dir (even with --force), bad archives, a non-empty export dir", async () => {
    const fresh = fs.mkdtempSync(path.join(work, "restore-bad-"));
    const garbage = path.join(work, "garbage.tar.gz");
    fs.writeFileSync(garbage, "this is not an archive at all\n".repeat(50));
    const truncated = path.join(work, "truncated.tar.gz");
    fs.writeFileSync(truncated, fs.readFileSync(backup).subarray(0, 4000));
    const busy = path.join(work, "busy");
    fs.mkdirSync(busy);
    fs.writeFileSync(path.join(busy, "notes.txt"), "mine");
    const live = `The database in ${alice.dataDir} is in use (is the server running?); stop Moiety before restoring into it.`;
    const cases: [Promise<{ code: number | null; stderr: string }>, string | RegExp][] = [
      [alice.cli(["backup", backup]), `moiety backup: ${backup} already exists; add --force to replace it.`],
      [alice.cli(["restore", backup]), `moiety restore: ${live}`],
      [alice.cli(["restore", backup, "--force"]), `moiety restore: ${live}`],
      [runCli(["restore", path.join(work, "missing.tar.gz")], { dataDir: fresh }), `moiety restore: No such file: ${path.join(work, "missing.tar.gz")}.`],
      [runCli(["restore", garbage], { dataDir: fresh }), `moiety restore: ${garbage} is not a readable Moiety backup (not a gzip file, or a damaged one).`],
      [runCli(["restore", truncated], { dataDir: fresh }), `moiety restore: ${truncated} is not a readable Moiety backup (the archive is truncated).`],
      [alice.cli(["export", busy]), `moiety export: ${busy} is not empty; choose a new or empty directory.`],
    ];
    const results = await Promise.all(cases.map(([run]) => run));
    results.forEach((r, i) => {
      expect(r.code, String(cases[i][1])).toBe(1);
      expect(oneLine(r.stderr)).toEqual([cases[i][1]]);
    });
    // Nothing was unpacked anywhere, and alice's data dir is as it was.
    expect(fs.readdirSync(fresh)).toEqual([]);
    expect(fs.readdirSync(alice.dataDir).filter((n) => n.startsWith("."))).toEqual([]);
    expect(integrity(alice.dataDir)).toEqual(["ok"]);
  });

  it("moiety export writes JSON matching dm show and an inert HTML archive with the image", async () => {
    const dir = path.join(work, "export");
    const r = await alice.cli(["export", dir]);
    expect(r.stderr).toBe("");
    expect(r.stdout.trim()).toBe(`Exported 1 conversation (3 messages, 1 attachment file) to ${dir}: open index.html, or read conversations.json.`);

    const exported = JSON.parse(fs.readFileSync(path.join(dir, "conversations.json"), "utf8"));
    expect(exported).toMatchObject({ format: "moiety-export", version: 1, owner: { actor: alice.actor, name: "Alice" } });
    expect(exported.conversations).toHaveLength(1);
    const c = exported.conversations[0];
    const shown = withoutDeliveries(before.show);
    expect(c.id).toBe(shown.id);
    expect(c.participants).toEqual(shown.participants);
    expect(c.messages.map(({ attachments: _a, summary: _s, sensitive: _x, ...m }: any) => m)).toEqual(shown.messages);
    expect(c.messages.map((m: any) => m.sensitive)).toEqual([false, false, false]);
    expect(c.messages[2].attachments).toEqual([{ url: attachmentUrl, mediaType: "image/png", alt: "A single red dot", file: `media/${image}` }]);
    expect(fs.readFileSync(path.join(dir, "media", image))).toEqual(png());

    const pages = ["index.html", ...fs.readdirSync(path.join(dir, "conversations")).map((f) => `conversations/${f}`)];
    expect(pages).toEqual(["index.html", `conversations/${conv}.html`]);
    for (const p of pages) {
      const html = fs.readFileSync(path.join(dir, p), "utf8");
      expect(html, p).not.toMatch(/<script/i);
      expect(html, p).toContain(`<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src 'self'">`);
    }
    const page = fs.readFileSync(path.join(dir, "conversations", `${conv}.html`), "utf8");
    expect(page).toContain("Hello Bob, &lt;b&gt;not bold&lt;/b&gt;");
    expect(page).toContain("Hi Alice! &lt;script&gt;alert(1)&lt;/script&gt;");
    expect(page).toContain(`<img src="../media/${image}" alt="A single red dot">`);
  });

  it("Settings offers the same export as a .tar.gz, to the owner only", async () => {
    const anonymous = await new Client(alice.url).get("/settings/export");
    expect(anonymous.status).toBe(401);
    expect(JSON.parse(anonymous.body)).toEqual({ error: "Not logged in." });

    const c = new Client(alice.url);
    expect((await c.login("alice", PASSWORD)).ok).toBe(true);
    const settings = await c.get("/settings");
    expect(settings.body).toContain('href="/settings/export"');
    const res = await getBytes(c, "/settings/export");
    expect(res.status).toBe(200);
    expect(res.headers["content-type"]).toBe("application/gzip");
    const folder = /^attachment; filename="(moiety-export-\d{4}-\d\d-\d\d)\.tar\.gz"$/.exec(String(res.headers["content-disposition"]))?.[1];
    expect(folder, String(res.headers["content-disposition"])).toBeTruthy();
    expect(res.headers["cache-control"]).toMatch(/no-store/);
    const files = await untar(res.body);
    expect([...files.keys()].sort()).toEqual(
      [`${folder}/conversations.json`, `${folder}/conversations/${conv}.html`, `${folder}/index.html`, `${folder}/media/${image}`].sort(),
    );
    const fromCli = JSON.parse(fs.readFileSync(path.join(work, "export", "conversations.json"), "utf8"));
    const fromWeb = JSON.parse(files.get(`${folder}/conversations.json`)!.toString());
    expect({ ...fromWeb, exportedAt: null }).toEqual({ ...fromCli, exportedAt: null });
    for (const [name, bytes] of files) if (name.endsWith(".html")) expect(bytes.toString(), name).not.toMatch(/<script/i);
  });

  it("a restore into a fresh data dir serves the same conversations, key and media", async () => {
    const fresh = fs.mkdtempSync(path.join(work, "restored-"));
    const r = await runCli(["restore", backup], { dataDir: fresh });
    expect(r.stderr).toBe("");
    expect(r.stdout.trim()).toMatch(new RegExp(`^Restored the backup of \\S+ from ${alice.url} into ${fresh}: 1 conversation, 3 messages, 1 media file\\.$`));
    expect(integrity(fresh)).toEqual(["ok"]);
    expect(fs.readFileSync(path.join(fresh, "auth-secret"), "utf8")).toBe(fs.readFileSync(path.join(alice.dataDir, "auth-secret"), "utf8"));

    // Move: the old server stops (SIGINT, as Ctrl-C would), the restored one takes its address.
    const started = Date.now();
    expect(await alice.stop("SIGINT")).toBe(0);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(integrity(alice.dataDir)).toEqual(["ok"]);
    restored = await startServer({ dataDir: fresh, origin: alice.url, env: { PORT: String(alice.port) } });
    expect(restored.setupCode).toBeNull();
    const cli = (args: string[]) => runCli([...args, "--json"], { dataDir: fresh, env: { MOIETY_ORIGIN: alice.url } });
    const [list, show] = await Promise.all([cli(["dm", "list"]), cli(["dm", "show", conv])]);
    expect(JSON.parse(list.stdout)).toEqual(before.list);
    expect(JSON.parse(show.stdout)).toEqual(before.show);

    const c = new Client(restored.url);
    const host = new URL(alice.url).host;
    const jrd = JSON.parse((await c.get(`/.well-known/webfinger?resource=acct:alice@${host}`)).body);
    expect(jrd.links.find((l: { rel: string }) => l.rel === "self")).toEqual({ rel: "self", type: "application/activity+json", href: alice.actor });
    const actor = JSON.parse((await c.get("/users/alice", AP)).body);
    expect(actor.id).toBe(alice.actor);
    expect(actor.publicKey.publicKeyPem).toBe(before.key);
    const media = await getBytes(c, new URL(attachmentUrl).pathname);
    expect(media.status).toBe(200);
    expect(media.body).toEqual(png());
    // The session secret came along: a login on the restored server works as before.
    expect((await new Client(restored.url).login("alice", PASSWORD)).ok).toBe(true);
  });
});

describe("graceful shutdown", () => {
  const BURST = 8;

  function queueBurst(dataDir: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, ["--import", "tsx", path.join(ROOT, "tests/helpers/send-many.ts"), bob.actor, String(BURST)], {
        cwd: ROOT,
        env: { ...process.env, MOIETY_DATA_DIR: dataDir, MOIETY_ORIGIN: alice.url, MOIETY_ALLOW_PRIVATE_ADDRESSES: "1" },
        stdio: ["ignore", "pipe", "pipe"],
      });
      let out = "";
      let err = "";
      child.stdout.on("data", (d) => (out += d));
      child.stderr.on("data", (d) => (err += d));
      child.on("exit", (code) => (code === 0 ? resolve(out) : reject(new Error(`send-many failed: ${err.slice(-500)}`))));
    });
  }

  it("SIGTERM with deliveries in flight: exits 0 quickly, database intact, leases bounded, queue resumes after restart", async () => {
    const server = restored!;
    const dataDir = server.dataDir;
    // The owner's browser tab is open: a live-updates stream the server has to end itself.
    const owner = new Client(server.url);
    expect((await owner.login("alice", PASSWORD)).ok).toBe(true);
    const stream = await openEventStream(owner);

    // Bob's server stops answering: alice's POSTs hang mid-request (the kernel still accepts the connections).
    bob.process.kill("SIGSTOP");
    bobFrozen = true;
    await queueBurst(dataDir);
    const burst = "SELECT d.id, d.state, d.lockedUntil, d.attempts FROM Delivery d JOIN Message m ON m.id = d.messageId WHERE m.text LIKE 'burst %'";
    type Row = { id: number; state: string; lockedUntil: string | null; attempts: number };
    await eventually(async () => query<Row>(dataDir, burst).filter((r) => r.lockedUntil && Date.parse(r.lockedUntil) > Date.now()).length >= 4, "the worker to have POSTs in flight", 8000);

    const t0 = Date.now();
    const code = await server.stop("SIGTERM");
    const took = Date.now() - t0;
    expect(code).toBe(0);
    // The front server ends long-lived streams after 5 s; serve's own SIGKILL of the app comes at 8 s.
    expect(took).toBeLessThan(7500);
    expect(await stream.closed).toBe(true);
    expect(server.output()).toContain("Received SIGTERM, shutting down");

    expect(integrity(dataDir)).toEqual(["ok"]);
    const rows = query<Row>(dataDir, burst);
    expect(rows).toHaveLength(BURST);
    expect(rows.every((r) => r.state === "queued")).toBe(true);
    const leased = rows.filter((r) => r.lockedUntil !== null);
    expect(leased.length).toBeGreaterThanOrEqual(1);
    // A lease left by the interrupted POSTs runs out within the worker's 60 s lease; nothing is locked for good.
    for (const r of leased) expect(Date.parse(r.lockedUntil!)).toBeLessThanOrEqual(t0 + 60_000 + 1000);
    for (const q of query<{ lockedUntil: string | null }>(dataDir, "SELECT lockedUntil FROM QueueMessage WHERE lockedUntil IS NOT NULL")) {
      expect(Date.parse(q.lockedUntil!)).toBeLessThanOrEqual(t0 + 60_000 + 1000);
    }

    // Let the leases run out (what a minute's wait would do), then restart and unfreeze bob.
    const db = new Database(path.join(dataDir, "moiety.db"));
    db.prepare("UPDATE Delivery SET lockedUntil = ? WHERE lockedUntil IS NOT NULL AND state = 'queued'").run(new Date(Date.now() - 1000).toISOString().replace("Z", "+00:00"));
    db.close();
    bob.process.kill("SIGCONT");
    bobFrozen = false;
    restored = await startServer({ dataDir, origin: alice.url, env: { PORT: String(alice.port) } });
    await eventually(async () => query<Row>(dataDir, burst).every((r) => r.state === "delivered"), "every burst DM to be delivered after restart", 30_000);
    const received = () => query<{ n: number; distinct: number }>(bob.dataDir, "SELECT count(*) AS n, count(DISTINCT objectId) AS \"distinct\" FROM Message WHERE text LIKE 'burst %'")[0];
    await eventually(async () => received().n >= BURST, "bob to store every burst DM", 20_000);
    expect(received()).toEqual({ n: BURST, distinct: BURST });
  }, 120_000);
});
