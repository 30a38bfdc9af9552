import fs from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { Client } from "../helpers/http";
import { runCli, startServer, tempDataDir, type TestServer } from "../helpers/server";
import { PASSWORD } from "../helpers/instances";
import { fieldRefusal } from "../helpers/action-result";

const running: TestServer[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.stop()));
});
async function start(opts: Parameters<typeof startServer>[0]) {
  const s = await startServer(opts);
  running.push(s);
  return s;
}

describe("setup code across restarts", () => {
  it("prints a new code on every start; the old one stops working; guesses are throttled", async () => {
    const dataDir = tempDataDir();
    const first = await start({ dataDir });
    const oldCode = first.setupCode!;
    await first.stop();
    running.length = 0;

    const second = await start({ dataDir });
    expect(second.setupCode).toMatch(/^[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}$/);
    expect(second.setupCode).not.toBe(oldCode);
    const c = new Client(second.url);
    expect((await c.action("/setup", "verifySetupCodeAction", [oldCode])).result).toMatchObject({ ok: false });
    expect((await c.action("/setup", "verifySetupCodeAction", [second.setupCode])).result).toEqual({ ok: true });

    // Guessing is throttled per address: after a few wrong codes even the right one has
    // to wait there, while someone at another address is not kept out.
    for (let i = 0; i < 3; i++) await c.action("/setup", "verifySetupCodeAction", [`WRNG-CODE-000${i}`]);
    const r = await c.action("/setup", "verifySetupCodeAction", [second.setupCode]);
    expect(r.result).toEqual(fieldRefusal({ code: expect.stringMatching(/^Too many wrong codes\. Try again in \d+ seconds?, or create the owner with `moiety setup` on the server\.$/) }));
    const other = new Client(second.url, "127.0.0.2");
    expect((await other.action("/setup", "verifySetupCodeAction", [second.setupCode])).result).toEqual({ ok: true });
  });
});

describe("https origin", () => {
  it("marks the session cookie Secure when the public origin is https", async () => {
    const dataDir = tempDataDir();
    const setup = await runCli(["setup", "--username", "carol", "--display-name", "Carol", "--password-stdin", "--origin", "https://carol.example"], {
      dataDir,
      stdin: "a long enough password",
      env: { MOIETY_ORIGIN: "https://carol.example" },
    });
    expect(setup.code).toBe(0);
    const s = await start({ dataDir, origin: "https://carol.example" });
    const c = new Client(s.url);
    const { ok, res } = await c.login("carol", "a long enough password");
    expect(ok).toBe(true);
    const cookie = (res.headers["set-cookie"] ?? []).find((h) => h.startsWith("__Secure-next-auth.session-token="));
    expect(cookie).toMatch(/; Secure/i);
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Lax/i);
  });

  it("refuses to start on a corrupt database or bad configuration, with one line", async () => {
    const dataDir = tempDataDir();
    fs.writeFileSync(path.join(dataDir, "moiety.db"), "this is not a database".repeat(300));
    const corrupt = await runCli(["serve"], { dataDir, env: { PORT: "39999" } });
    expect(corrupt.code).not.toBe(0);
    expect(corrupt.stderr.trim().split("\n")).toHaveLength(1);
    expect(corrupt.stderr).toMatch(/^moiety serve: /);
    const badPort = await runCli(["serve"], { dataDir: tempDataDir(), env: { PORT: "http" } });
    expect(badPort.code).not.toBe(0);
    expect(badPort.stderr.trim()).toBe("moiety serve: Invalid configuration: PORT must be a port number");
  });

  it("refuses a second server on a port in use with one line", async () => {
    const s = await start({});
    const clash = await runCli(["serve"], { dataDir: tempDataDir(), env: { PORT: String(s.port), HOST: "127.0.0.1" } });
    expect(clash.code).not.toBe(0);
    expect(clash.stderr.trim().split("\n").at(-1)).toBe(`moiety serve: Port ${s.port} on 127.0.0.1 is already in use: stop the other program or set PORT.`);
  });
});

describe("a set-up instance started under another origin", () => {
  it("starts without a setup code and warns that other servers know it by the old address", async () => {
    const dataDir = tempDataDir();
    const setup = await runCli(["setup", "--username", "olga", "--display-name", "Olga", "--password-stdin"], {
      dataDir,
      stdin: PASSWORD,
      env: { MOIETY_ORIGIN: "https://old.example" },
    });
    expect(setup.code).toBe(0);
    const s = await start({ dataDir, origin: "https://new.example" });
    expect(s.setupCode).toBeNull();
    expect(s.output()).toContain(
      "Warning: MOIETY_ORIGIN is https://new.example, but this instance was set up as https://old.example. Other servers know you by the old address",
    );
  });
});
