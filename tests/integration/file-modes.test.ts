import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { actionId, Client } from "../helpers/http";
import { runCli, startServer, tempDataDir, type TestServer } from "../helpers/server";

// The data dir holds the signing keys, the password hash and every DM: other
// users of the machine must not read it. A real `moiety serve` creates it,
// the owner is set up and uploads an avatar (written by the app server), and
// then every entry is stat'ed. An install from before (0755/0644) is fixed at
// the next start, with one line in the log; a restore and an export are
// private too.

const PASSWORD = "a long enough password";
const work = tempDataDir("moiety-modes-");
const dataDir = path.join(work, "data");
let server: TestServer | undefined;

afterAll(async () => {
  await server?.stop();
  fs.rmSync(work, { recursive: true, force: true });
});

/** Every entry under `dir` (not following links) with its permission bits. */
function modes(dir: string): Record<string, string> {
  const out: Record<string, string> = { ".": (fs.statSync(dir).mode & 0o777).toString(8) };
  const walk = (rel: string) => {
    for (const d of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      const child = rel ? `${rel}/${d.name}` : d.name;
      const st = fs.lstatSync(path.join(dir, child));
      out[child + (d.isDirectory() ? "/" : "")] = (st.mode & 0o777).toString(8);
      if (d.isDirectory()) walk(child);
    }
  };
  walk("");
  return out;
}

/** Assert that `dir` and everything in it is 0700 (directories) or 0600 (files); returns the entries. */
function expectPrivate(dir: string): string[] {
  const found = modes(dir);
  const wrong = Object.entries(found).filter(([name, mode]) => mode !== (name === "." || name.endsWith("/") ? "700" : "600"));
  expect(wrong).toEqual([]);
  return Object.keys(found);
}

/** A valid 1×1 PNG (the avatar the app server writes into media/). */
function png(): Buffer {
  return Buffer.from(
    "89504e470d0a1a0a0000000d4948445200000001000000010802000000907753de" +
      "0000000c49444154789c63f8dfc0000004010180c52a185d0000000049454e44ae426082",
    "hex",
  );
}

async function uploadAvatar(c: Client): Promise<unknown> {
  const form = new FormData();
  form.append("_1_displayName", "Alice");
  form.append("_1_bio", "");
  form.append("_1_avatar", new Blob([new Uint8Array(png())], { type: "image/png" }), "me.png");
  form.append("0", JSON.stringify(["$K1"]));
  const encoded = new Response(form);
  const res = await c.request("POST", "/settings", {
    headers: { "next-action": actionId("updateProfileAction"), accept: "text/x-component", "content-type": encoded.headers.get("content-type")!, origin: c.base },
    body: Buffer.from(await encoded.arrayBuffer()),
  });
  const row = /^1:(\{.*\})$/m.exec(res.body);
  return row ? JSON.parse(row[1]) : { status: res.status, body: res.body.slice(0, 200) };
}

describe("a new data dir", () => {
  beforeAll(async () => {
    // Under a umask that would make everything world-readable, as on most systems.
    server = await startServer({ dataDir });
  });

  it("is created 0700 by moiety serve, with every file in it 0600, the app server's media included", async () => {
    const setup = await runCli(["setup", "--username", "alice", "--display-name", "Alice", "--password-stdin"], { dataDir, stdin: PASSWORD, env: { MOIETY_ORIGIN: server!.url } });
    expect(setup.code, setup.stderr).toBe(0);
    const c = new Client(server!.url);
    expect((await c.login("alice", PASSWORD)).ok).toBe(true);
    expect(await uploadAvatar(c)).toEqual({ ok: true });
    const entries = expectPrivate(dataDir);
    for (const f of ["moiety.db", "moiety.db-wal", "moiety.db-shm", "auth-secret", "media/"]) expect(entries).toContain(f);
    expect(entries.filter((e) => e.startsWith("media/avatar-"))).toHaveLength(1);
    // Nothing needed fixing, so nothing was said.
    expect(server!.output()).not.toMatch(/private/);
  });
});

describe("an install from before", () => {
  it("is made private at the next start, with one line saying so, and only once", async () => {
    await server!.stop();
    server = undefined;
    // What an older Moiety left under umask 022, plus a TLS dir and a stray file.
    fs.mkdirSync(path.join(dataDir, "tls"), { mode: 0o755 });
    fs.writeFileSync(path.join(dataDir, "tls", "cert.pem"), "not really a certificate\n", { mode: 0o644 });
    fs.symlinkSync("/etc/hostname", path.join(dataDir, "a-link"));
    const linkTargetMode = fs.statSync("/etc/hostname").mode & 0o777;
    for (const [name, mode] of Object.entries(modes(dataDir))) {
      if (name === "a-link") continue;
      fs.chmodSync(path.join(dataDir, name), name === "." || name.endsWith("/") ? 0o755 : 0o644);
      expect(mode).toBeDefined();
    }
    expect(fs.statSync(dataDir).mode & 0o777).toBe(0o755);
    const count = Object.keys(modes(dataDir)).length - 2; // not the dir itself, not the link

    server = await startServer({ dataDir });
    const lines = server.output().split("\n").filter((l) => /private/.test(l));
    expect(lines).toEqual([`Made the data dir private (was 0755, and ${count} files and folders in it could be read by other users): only this user can read it now.`]);
    fs.unlinkSync(path.join(dataDir, "a-link"));
    expectPrivate(dataDir);
    // The link was neither followed nor changed.
    expect(fs.statSync("/etc/hostname").mode & 0o777).toBe(linkTargetMode);
    const c = new Client(server.url);
    expect((await c.login("alice", PASSWORD)).ok).toBe(true);

    await server.stop();
    server = await startServer({ dataDir });
    expect(server.output()).not.toMatch(/private/);
  });
});

describe("backups, restores and exports", () => {
  it("a backup, a restore into a new dir, a forced restore and an export are private too", async () => {
    const backup = path.join(work, "alice.tar.gz");
    const made = await runCli(["backup", backup], { dataDir });
    expect(made.code, made.stderr).toBe(0);
    expect((fs.statSync(backup).mode & 0o777).toString(8)).toBe("600");
    await server!.stop();
    server = undefined;

    const fresh = path.join(work, "restored", "nested", "data");
    const restored = await runCli(["restore", backup], { dataDir: fresh });
    expect(restored.code, restored.stderr).toBe(0);
    const entries = expectPrivate(fresh);
    for (const f of ["moiety.db", "auth-secret", "media/", "tls/", "tls/cert.pem"]) expect(entries).toContain(f);
    expect(entries.filter((e) => e.startsWith("media/avatar-"))).toHaveLength(1);
    expect(fs.statSync(path.join(work, "restored")).mode & 0o077).toBe(0);

    const forced = await runCli(["restore", backup, "--force"], { dataDir: fresh });
    expect(forced.code, forced.stderr).toBe(0);
    expect(expectPrivate(fresh).some((e) => e.startsWith(".replaced-"))).toBe(true);

    const exported = path.join(work, "export");
    const ex = await runCli(["export", exported], { dataDir: fresh });
    expect(ex.code, ex.stderr).toBe(0);
    expect(expectPrivate(exported)).toContain("index.html");
  });
});
