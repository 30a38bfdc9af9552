import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Client } from "../helpers/http";
import { runCli, startServer, type TestServer } from "../helpers/server";
import { fieldRefusal } from "../helpers/action-result";

// One real server process on a loopback port with a temporary data dir, driven
// over HTTP the way a browser and the CLI would.

const PASSWORD = "a long enough password";
let server: TestServer;

beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => {
  await server?.stop();
});

describe("before setup", () => {
  it("reports health with setup pending", async () => {
    const res = await new Client(server.url).get("/api/health");
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toEqual({ status: "ok", database: "ok", setup: "pending" });
  });

  it("sends every page to the setup wizard", async () => {
    const c = new Client(server.url);
    for (const page of ["/", "/messages", "/settings", "/login"]) {
      const res = await c.get(page);
      expect(res.status, page).toBe(307);
      expect(new URL(res.headers.location!, server.url).pathname, page).toBe("/setup");
    }
    expect((await c.get("/setup")).status).toBe(200);
  });

  it("printed a setup URL with a code, and stored only its hash", async () => {
    expect(server.output()).toContain(`${server.url}/setup?code=${server.setupCode}`);
    const db = fs.readFileSync(path.join(server.dataDir, "moiety.db"));
    expect(db.includes(Buffer.from(server.setupCode!))).toBe(false);
  });

  it("refuses a wrong setup code with a clear message", async () => {
    const r = await new Client(server.url).action("/setup", "verifySetupCodeAction", ["AAAA-BBBB-CCCC"]);
    expect(r.status).toBe(200);
    expect(r.result).toEqual(fieldRefusal({ code: expect.stringMatching(/setup code is not right/) }));
  });

  it("accepts the printed code without using it up", async () => {
    const c = new Client(server.url);
    for (let i = 0; i < 2; i++) {
      expect((await c.action("/setup", "verifySetupCodeAction", [server.setupCode])).result).toEqual({ ok: true });
    }
  });

  it("refuses a server action from another site", async () => {
    const r = await new Client(server.url).action("/setup", "verifySetupCodeAction", [server.setupCode], "https://evil.example");
    expect(r.status).toBe(403);
    expect(JSON.parse(r.body)).toEqual({ error: "Cross-site request refused." });
  });
});

describe("owner setup from the CLI", () => {
  it("refuses bad input with one line and a non-zero exit", async () => {
    const bad = await runCli(["setup", "--username", "Bad Name", "--display-name", "X", "--password-stdin"], {
      dataDir: server.dataDir,
      stdin: PASSWORD,
    });
    expect(bad.code).not.toBe(0);
    expect(bad.stderr.trim().split("\n")).toEqual(["moiety setup: --username: Use only lowercase letters a–z, digits and _."]);
    const short = await runCli(["setup", "--username", "alice", "--display-name", "Alice", "--password-stdin"], {
      dataDir: server.dataDir,
      stdin: "short\n",
    });
    expect(short.code).not.toBe(0);
    expect(short.stderr.trim()).toBe("moiety setup: password: Use at least 12 characters.");
    const noStdin = await runCli(["setup", "--username", "alice", "--display-name", "Alice"], { dataDir: server.dataDir });
    expect(noStdin.stderr.trim()).toBe("moiety setup: Give the password on standard input with --password-stdin.");
    const unknown = await runCli(["setup", "--username", "alice", "--frobnicate"], { dataDir: server.dataDir });
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr.trim().split("\n")).toHaveLength(1);
  });

  it("creates the owner on a running instance, once", async () => {
    const ok = await runCli(["setup", "--username", "alice", "--display-name", "Alice", "--password-stdin"], {
      dataDir: server.dataDir,
      stdin: PASSWORD + "\n",
    });
    expect(ok.stderr).toBe("");
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain(`@alice@`);
    const again = await runCli(["setup", "--username", "bob", "--display-name", "Bob", "--password-stdin"], {
      dataDir: server.dataDir,
      stdin: PASSWORD,
    });
    expect(again.code).not.toBe(0);
    expect(again.stderr.trim()).toBe("moiety setup: This instance already has an owner; setup is closed.");
  });

  it("closes the wizard and its actions", async () => {
    const c = new Client(server.url);
    const page = await c.get("/setup");
    expect(page.status).toBe(307);
    expect(new URL(page.headers.location!, server.url).pathname).toBe("/login");
    const r = await c.action("/setup", "verifySetupCodeAction", [server.setupCode]);
    expect(r.result).toEqual({ ok: false, error: "This instance already has an owner; setup is closed." });
    expect(JSON.parse((await c.get("/api/health")).body).setup).toBe("complete");
  });
});

describe("login", () => {
  it("refuses owner pages without a session", async () => {
    const res = await new Client(server.url).get("/messages");
    expect(res.status).toBe(307);
    expect(new URL(res.headers.location!, server.url).pathname).toBe("/login");
  });

  it("gives a generic error for a wrong password or user", async () => {
    const c = new Client(server.url, "127.0.0.3");
    expect((await c.login("alice", "wrong password!!")).error).toBe("Wrong username or password.");
    expect((await c.login("mallory", PASSWORD)).error).toBe("Wrong username or password.");
    expect(c.cookies.has("next-auth.session-token")).toBe(false);
  });

  it("logs in with an HttpOnly, SameSite=Lax session cookie and opens owner pages", async () => {
    const c = new Client(server.url, "127.0.0.4");
    const { ok, res } = await c.login("alice", PASSWORD);
    expect(ok).toBe(true);
    const cookie = (res.headers["set-cookie"] ?? []).find((h) => h.startsWith("next-auth.session-token="));
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Lax/i);
    expect(cookie).not.toMatch(/Secure/i); // the origin is http:// here
    const page = await c.get("/messages");
    expect(page.status).toBe(200);
    expect(page.body).toContain("No conversations yet");
  });

  it("throttles failed logins per client address with growing delays", async () => {
    const attacker = new Client(server.url, "127.0.0.5");
    for (let i = 0; i < 3; i++) expect((await attacker.login("alice", `guess number ${i}!`)).error).toBe("Wrong username or password.");
    // The fourth failure starts a delay; during it even the right password is refused.
    expect((await attacker.login("alice", "guess number 3!")).error).toBe("Wrong username or password.");
    const blocked = await attacker.login("alice", PASSWORD);
    expect(blocked.ok).toBe(false);
    expect(blocked.error).toMatch(/^Too many failed attempts\. Try again in \d+ seconds?\.$/);
    // A forged X-Forwarded-For does not make a new client: the front server sets the address itself.
    const csrf = JSON.parse((await attacker.get("/api/auth/csrf")).body).csrfToken;
    const forged = await attacker.request("POST", "/api/auth/callback/credentials", {
      headers: { "content-type": "application/x-www-form-urlencoded", "x-forwarded-for": "203.0.113.9", "x-moiety-client-address": "203.0.113.9" },
      body: new URLSearchParams({ csrfToken: csrf, username: "alice", password: PASSWORD, json: "true" }).toString(),
    });
    expect(new URL(JSON.parse(forged.body).url).searchParams.get("error")).toMatch(/Too many failed attempts/);
    // Someone else, from another address, is not affected.
    expect((await new Client(server.url, "127.0.0.6").login("alice", PASSWORD)).ok).toBe(true);
    // After the delay the right password works again: the delay grows, it does not lock out forever.
    await new Promise((r) => setTimeout(r, 2100));
    expect((await attacker.login("alice", PASSWORD)).ok).toBe(true);
  });
});

describe("server actions and sessions", () => {
  it("refuses a server action without the owner's session", async () => {
    const r = await new Client(server.url).action("/settings", "changePasswordAction", [
      { currentPassword: PASSWORD, newPassword: "a brand new password", confirmPassword: "a brand new password" },
    ]);
    expect(r.redirect).toBe("/login");
    expect((await new Client(server.url, "127.0.0.7").login("alice", PASSWORD)).ok).toBe(true);
  });

  it("changing the password needs the current one and ends other sessions", async () => {
    const laptop = new Client(server.url, "127.0.0.8");
    const phone = new Client(server.url, "127.0.0.9");
    expect((await laptop.login("alice", PASSWORD)).ok).toBe(true);
    expect((await phone.login("alice", PASSWORD)).ok).toBe(true);

    const wrong = await laptop.action("/settings", "changePasswordAction", [
      { currentPassword: "not my password", newPassword: "a brand new password", confirmPassword: "a brand new password" },
    ]);
    expect(wrong.result).toEqual(fieldRefusal({ currentPassword: "That is not your current password." }));
    const invalid = await laptop.action("/settings", "changePasswordAction", [
      { currentPassword: PASSWORD, newPassword: "short", confirmPassword: "short" },
    ]);
    expect(invalid.result).toEqual(fieldRefusal({ newPassword: "Use at least 12 characters." }));

    const changed = await laptop.action("/settings", "changePasswordAction", [
      { currentPassword: PASSWORD, newPassword: "a brand new password", confirmPassword: "a brand new password" },
    ]);
    expect(changed.result).toEqual({ ok: true });

    const phonePage = await phone.get("/settings");
    expect(phonePage.status).toBe(307);
    expect(new URL(phonePage.headers.location!, server.url).pathname).toBe("/login");
    expect((await new Client(server.url, "127.0.0.10").login("alice", PASSWORD)).ok).toBe(false);
    expect((await laptop.login("alice", "a brand new password")).ok).toBe(true);
    expect((await laptop.get("/settings")).status).toBe(200);
  });
});

describe("health", () => {
  it("answers 503 when the database file is gone from the data dir", async () => {
    const dbFile = path.join(server.dataDir, "moiety.db");
    fs.renameSync(dbFile, dbFile + ".moved");
    const res = await new Client(server.url).get("/api/health");
    expect(res.status).toBe(503);
    expect(JSON.parse(res.body)).toEqual({ status: "error", database: "unavailable" });
    fs.renameSync(dbFile + ".moved", dbFile);
    expect((await new Client(server.url).get("/api/health")).status).toBe(200);
  });
});
